-- Emails leave staging only as salted hashes or as '[email]' tokens: no free-text, URL or raw-record
-- column of a staging model may still hold an address. Returns the offending column and value.
-- The event-grain streams' columns (the third element names the clean model whose arrival partitions
-- `dt` they share) are read over the partitions a daily run re-read (tested_partitions,
-- macros/testing/partition_scope.sql), and over every partition weekly and on a --full-refresh; the
-- other models are small snapshots, read whole every day.
{%- set text_columns = [
    ('stg_support__tickets', 'subject', none),
    ('stg_support__tickets', 'body', none),
    ('stg_web__pages', 'page_url', 'stg_web__pages'),
    ('stg_web__pages', 'referrer', 'stg_web__pages'),
    ('stg_web__pages', 'page_title', 'stg_web__pages'),
    ('stg_events__events', 'search_query', 'stg_events__events'),
    ('stg_events__events', 'properties_json', 'stg_events__events'),
    ('stg_crm__contacts_quarantine', 'raw_record', none),
    ('stg_web__pages_quarantine', 'raw_record', 'stg_web__pages'),
    ('stg_web__identifies_quarantine', 'raw_record', 'stg_web__identifies'),
    ('stg_events__events_quarantine', 'raw_record', 'stg_events__events'),
    ('stg_commerce__orders_quarantine', 'raw_record', none),
    ('stg_commerce__order_items_quarantine', 'raw_record', none),
    ('stg_catalog__products_quarantine', 'raw_record', none),
    ('stg_support__tickets_quarantine', 'raw_record', none),
    ('stg_privacy__consent_events_quarantine', 'raw_record', none),
    ('stg_privacy__erasure_requests_quarantine', 'raw_record', none),
    ('stg_experiments__assignments_quarantine', 'raw_record', none),
] %}

with

{% for model, column, window_model in text_columns %}
{{ model }}__{{ column }} as (

    select
        '{{ model }}.{{ column }}' as column_name,
        staged_rows.{{ column }} as column_value

    from {{ ref(model) }} as staged_rows
    -- the email pattern of pii_value_patterns(), after the cheap check for its '@'
    where
        {{ pii_value_matches(column, 'email') }}
        {%- if window_model %}
        and {{ tested_partitions('staged_rows', ref(window_model)) }}
        {%- endif %}

),

{% endfor %}
final as (

    {% for model, column, window_model in text_columns %}
    select * from {{ model }}__{{ column }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from final
