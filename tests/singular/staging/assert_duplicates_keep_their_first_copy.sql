-- Every key quarantined as a duplicate keeps exactly one copy, its first, in the clean model: dropping the
-- later copies must never drop the key itself. Returns the keys that break this, with their clean count.
-- The one exception is erasure: a key whose first copy is a record of an erased person is quarantined as
-- `erased` and has no clean copy by design (its later copies stay duplicates, and a key that is itself an
-- identifier is nulled in the quarantine).
-- On a daily run the event-grain streams (partitioned by arrival `dt`) check the duplicates of the
-- partitions the run re-read (tested_partitions, macros/testing/partition_scope.sql), each against every
-- clean copy and erased record of its key in the whole history; the weekly whole-table run and every
-- --full-refresh check every duplicate. The other streams are small snapshots, checked whole every day.
{%- set tables = [
    ('stg_crm__contacts', 'contact_id', 'duplicate_contact_id', false),
    ('stg_web__pages', 'page_view_id', 'duplicate_message_id', true),
    ('stg_web__identifies', 'identify_id', 'duplicate_message_id', true),
    ('stg_events__events', 'event_id', 'duplicate_event_id', true),
    ('stg_commerce__orders', 'order_id', 'duplicate_order_id', false),
    ('stg_commerce__order_items', 'order_item_id', 'duplicate_order_item_id', false),
    ('stg_catalog__products', 'product_id', 'duplicate_product_id', false),
    ('stg_support__tickets', 'ticket_id', 'duplicate_ticket_id', false),
    ('stg_experiments__assignments', 'assignment_id', 'duplicate_assignment_id', false),
] %}

with

{% for model, key, reason, is_partitioned in tables %}
{{ model }}_duplicate_keys as (

    select distinct quarantine_rows.{{ key }} as key_value
    from {{ ref(model ~ '_quarantine') }} as quarantine_rows
    where
        quarantine_rows.quarantine_reason = '{{ reason }}'
        and quarantine_rows.{{ key }} is not null
        {%- if is_partitioned %}
        and {{ tested_partitions('quarantine_rows', ref(model)) }}
        {%- endif %}

),

-- the clean rows of those keys only: the semi-join keeps the (large) clean model out of the hash table
{{ model }}_clean_copies as (

    select {{ key }} as key_value
    from {{ ref(model) }}
    where {{ key }} in (select {{ model }}_duplicate_keys.key_value from {{ model }}_duplicate_keys)

),

{{ model }}_miscounted as (

    select
        duplicate_keys.key_value,
        count(clean_copies.key_value) as clean_copies

    from {{ model }}_duplicate_keys as duplicate_keys
    left join {{ model }}_clean_copies as clean_copies
        on duplicate_keys.key_value = clean_copies.key_value
    group by duplicate_keys.key_value
    having count(clean_copies.key_value) != 1

),

-- the erasure exception, looked up for the miscounted keys only (an erased first copy may be in any partition)
{{ model }}_duplicates as (

    select
        '{{ model }}' as model_name,
        miscounted.key_value,
        miscounted.clean_copies

    from {{ model }}_miscounted as miscounted
    where miscounted.key_value not in (
        select erased.{{ key }}
        from {{ ref(model ~ '_quarantine') }} as erased
        where
            erased.quarantine_reason = 'erased'
            and erased.{{ key }} in (select {{ model }}_miscounted.key_value from {{ model }}_miscounted)
    )

),

{% endfor %}
final as (

    {% for model, key, reason, is_partitioned in tables %}
    select * from {{ model }}_duplicates
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from final
