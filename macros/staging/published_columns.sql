{#- The columns each staging clean model publishes, in order, by its base model: the one place that decides
    which of a base model's columns leave staging. A base model's other columns are internal to staging:
    quarantine_reason and raw_record (the quarantine view's), filename and file_row_number (lineage and
    copy order), and on the change streams their version flags. The clean model of a change stream and its
    history model publish the same columns (change_stream_versions); every other clean model is
    clean_rows. -#}
{% macro published_columns(base_model) -%}
    {%- set columns = {
        'base_catalog__products': [
            'product_id', 'title', 'description', 'category', 'brand', 'price', 'currency', 'price_usd',
            'tags', 'is_active', 'created_at', 'updated_at',
        ],
        'base_commerce__order_items': [
            'order_item_id', 'order_id', 'product_id', 'quantity', 'unit_price', 'line_amount',
        ],
        'base_commerce__orders': [
            'order_id', 'customer_id', 'email_hash', 'order_status', 'is_refunded', 'is_cancelled',
            'currency', 'subtotal', 'discount_amount', 'shipping_amount', 'total_amount', 'total_amount_usd',
            'ordered_at', 'updated_at',
        ],
        'base_crm__contacts': [
            'contact_id', 'email_hash', 'has_email', 'phone_hash', 'birth_year', 'is_birthdate_implausible',
            'gender', 'country_code', 'loyalty_tier', 'is_email_opted_out', 'created_at', 'updated_at',
        ],
        'base_events__events': [
            'event_id', 'anonymous_id', 'user_id', 'event_type', 'item_id', 'event_at', 'received_at', 'dt',
            'is_late', 'scroll_percent', 'video_seconds', 'search_query', 'feature_name', 'rec_slot',
            'properties_json', 'landing_fingerprint',
        ],
        'base_experiments__assignments': [
            'assignment_id', 'experiment_id', 'variant', 'unit_type', 'unit_id', 'assigned_at',
        ],
        'base_privacy__consent_events': [
            'consent_event_id', 'anonymous_id', 'user_id', 'purpose', 'is_granted', 'consent_source',
            'occurred_at',
        ],
        'base_privacy__erasure_requests': [
            'request_id', 'identifier_type', 'identifier_key', 'requested_at',
        ],
        'base_support__tickets': [
            'ticket_id', 'email_hash', 'channel', 'created_at', 'subject', 'body',
        ],
        'base_web__identifies': [
            'identify_id', 'anonymous_id', 'user_id', 'email_hash', 'identified_at', 'received_at', 'dt',
        ],
        'base_web__pages': [
            'page_view_id', 'anonymous_id', 'user_id', 'viewed_at', 'received_at', 'page_url', 'page_path',
            'referrer', 'referrer_host', 'page_title', 'device_type', 'dt', 'landing_fingerprint',
        ],
    } -%}
    {%- if base_model not in columns -%}
        {{ exceptions.raise_compiler_error(
            "published_columns: unknown base model '" ~ base_model ~ "'; known: "
            ~ (columns.keys() | sort | join(', '))) }}
    {%- endif -%}
    {{ return(columns[base_model]) }}
{%- endmacro %}


{#- The whole query of a clean model over a base model whose rows are not versions: the rows that passed
    every check (no quarantine_reason), with the stream's published columns. `erased_by_reader`: the base
    model is not stored (ephemeral), so this view also leaves out the records of erased persons
    (is_erased_record); a stored base table is redacted in place as soon as it is built (redact_erased_rows,
    on every engine), its erased rows carry the reason `erased` and need no filter here. -#}
{% macro clean_rows(base_model, erased_by_reader=false) -%}
    {%- set condition = 'quarantine_reason is null' -%}
    {%- if erased_by_reader -%}
        {%- set condition = condition ~ ' and not ' ~ is_erased_record(base_model) -%}
    {%- endif -%}
    {{ base_model_rows(base_model, published_columns(base_model), condition) }}
{%- endmacro %}


{#- The whole query of a staging model that reads one base model: `columns` (in order) of the rows where
    `condition` holds. The clean, history and quarantine models of every stream are this query. -#}
{% macro base_model_rows(base_model, columns, condition) -%}
    {%- set relation_name = base_model.split('__')[-1] -%}
with

{{ relation_name }} as (

    select * from {{ ref(base_model) }}

),

final as (

    select
        {%- for column in columns %}
        {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}

    from {{ relation_name }}
    where {{ condition }}

)

select * from final
{%- endmacro %}
