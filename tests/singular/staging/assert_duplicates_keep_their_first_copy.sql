-- Every key quarantined as a duplicate keeps exactly one copy, its first, in the clean model: dropping the
-- later copies must never drop the key itself. Returns the keys that break this, with their clean count.
-- The one exception is erasure: a key whose first copy is a record of an erased person is quarantined as
-- `erased` and has no clean copy by design (its later copies stay duplicates, and a key that is itself an
-- identifier is nulled in the quarantine).
{%- set tables = [
    ('stg_crm__contacts', 'contact_id', 'duplicate_contact_id'),
    ('stg_web__pages', 'page_view_id', 'duplicate_message_id'),
    ('stg_web__identifies', 'identify_id', 'duplicate_message_id'),
    ('stg_events__events', 'event_id', 'duplicate_event_id'),
    ('stg_commerce__orders', 'order_id', 'duplicate_order_id'),
    ('stg_commerce__order_items', 'order_item_id', 'duplicate_order_item_id'),
    ('stg_catalog__products', 'product_id', 'duplicate_product_id'),
    ('stg_support__tickets', 'ticket_id', 'duplicate_ticket_id'),
    ('stg_experiments__assignments', 'assignment_id', 'duplicate_assignment_id'),
] %}

with

{% for model, key, reason in tables %}
{{ model }}_duplicate_keys as (

    select distinct {{ key }} as key_value
    from {{ ref(model ~ '_quarantine') }}
    where
        quarantine_reason = '{{ reason }}'
        and {{ key }} is not null
        and {{ key }} not in (
            select erased.{{ key }}
            from {{ ref(model ~ '_quarantine') }} as erased
            where erased.quarantine_reason = 'erased' and erased.{{ key }} is not null
        )

),

-- the clean rows of those keys only: the semi-join keeps the (large) clean model out of the hash table
{{ model }}_clean_copies as (

    select {{ key }} as key_value
    from {{ ref(model) }}
    where {{ key }} in (select {{ model }}_duplicate_keys.key_value from {{ model }}_duplicate_keys)

),

{{ model }}_duplicates as (

    select
        '{{ model }}' as model_name,
        duplicate_keys.key_value,
        count(clean_copies.key_value) as clean_copies

    from {{ model }}_duplicate_keys as duplicate_keys
    left join {{ model }}_clean_copies as clean_copies
        on duplicate_keys.key_value = clean_copies.key_value
    group by duplicate_keys.key_value

),

{% endfor %}
final as (

    {% for model, key, reason in tables %}
    select * from {{ model }}_duplicates
    where clean_copies != 1
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from final
