{#- The closed vocabularies of the landed data, written once: the validation in the base_ models reads
    them here, and the accepted_values tests in _<source>__models.yml repeat them. -#}
{% macro known_values(vocabulary) -%}
    {%- set vocabularies = {
        'event_type': [
            'product_view', 'add_to_cart', 'remove_from_cart', 'search', 'scroll_depth', 'video_play',
            'feature_use', 'checkout_start', 'recommendation_impression', 'recommendation_click',
        ],
        'consent_purpose': ['analytics', 'personalization', 'marketing'],
        'consent_status': ['granted', 'revoked'],
        'order_status': ['placed', 'shipped', 'delivered', 'refunded', 'cancelled'],
        'erasure_identifier_type': ['email', 'user_id', 'anonymous_id', 'crm_contact_id'],
        'loyalty_tier': ['bronze', 'silver', 'gold', 'platinum'],
    } -%}
    {%- if vocabulary not in vocabularies -%}
        {{- exceptions.raise_compiler_error('unknown vocabulary ' ~ vocabulary) -}}
    {%- endif -%}
    {{- return(vocabularies[vocabulary]) -}}
{%- endmacro %}


{#- A SQL list literal, ('a', 'b'), of text values. -#}
{% macro sql_text_list(values) -%}
    ({%- for value in values -%}'{{ value | replace("'", "''") }}'{{ ", " if not loop.last }}{%- endfor -%})
{%- endmacro %}
