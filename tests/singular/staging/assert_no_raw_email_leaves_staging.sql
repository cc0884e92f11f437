-- Emails leave staging only as salted hashes or as '[email]' tokens: no free-text, URL or raw-record
-- column of a staging model may still hold an address. Returns the offending column and value.
{%- set text_columns = [
    ('stg_support__tickets', 'subject'),
    ('stg_support__tickets', 'body'),
    ('stg_web__pages', 'page_url'),
    ('stg_web__pages', 'referrer'),
    ('stg_web__pages', 'page_title'),
    ('stg_events__events', 'search_query'),
    ('stg_events__events', 'properties_json'),
    ('stg_crm__contacts_quarantine', 'raw_record'),
    ('stg_web__pages_quarantine', 'raw_record'),
    ('stg_web__identifies_quarantine', 'raw_record'),
    ('stg_events__events_quarantine', 'raw_record'),
    ('stg_commerce__orders_quarantine', 'raw_record'),
    ('stg_commerce__order_items_quarantine', 'raw_record'),
    ('stg_catalog__products_quarantine', 'raw_record'),
    ('stg_support__tickets_quarantine', 'raw_record'),
    ('stg_privacy__consent_events_quarantine', 'raw_record'),
    ('stg_privacy__erasure_requests_quarantine', 'raw_record'),
    ('stg_experiments__assignments_quarantine', 'raw_record'),
] %}

with

{% for model, column in text_columns %}
{{ model }}__{{ column }} as (

    select
        '{{ model }}.{{ column }}' as column_name,
        {{ column }} as column_value

    from {{ ref(model) }}
    -- the email pattern of pii_value_patterns(), after the cheap check for its '@'
    where {{ pii_value_matches(column, 'email') }}

),

{% endfor %}
final as (

    {% for model, column in text_columns %}
    select * from {{ model }}__{{ column }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from final
