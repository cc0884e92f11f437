-- Every key quarantined as a duplicate keeps exactly one copy, its first, in the clean model: dropping the
-- later copies must never drop the key itself. Returns the keys that break this, with their clean count.
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
{{ model }}_duplicates as (

    select
        '{{ model }}' as model_name,
        quarantined.{{ key }} as key_value,
        count(clean.{{ key }}) as clean_copies

    from {{ ref(model ~ '_quarantine') }} as quarantined
    left join {{ ref(model) }} as clean
        on quarantined.{{ key }} = clean.{{ key }}
    where quarantined.quarantine_reason = '{{ reason }}'
    group by quarantined.{{ key }}

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
