{{ config(tags=['person_level']) }}

with

orders as (
    select * from {{ ref('stg_commerce__orders') }}
),

order_items as (
    select * from {{ ref('stg_commerce__order_items') }}
),

identifiers as (
    select * from {{ ref('int_identifiers_retained') }}
),

order_arrivals as (
    {{ arrived_records('commerce.orders') }}
),

version_arrivals as (
    {{ arrived_versions('commerce.orders') }}
),

tombstones as (
    select * from {{ ref('int_erasure_tombstones') }}
),

customer_persons as (
    select
        identifier_value as customer_id,
        person_id
    from identifiers
    where
        identifier_type = 'user_id'
        and person_id is not null
),

email_persons as (
    select
        identifier_value as email_hash,
        person_id
    from identifiers
    where
        identifier_type = 'email_hash'
        and person_id is not null
),

order_lines as (
    select
        order_id,
        count(*) as line_count,
        sum(quantity) as item_count
    from order_items
    group by order_id
),

-- the customer id is the login, so it outranks the email typed at checkout (a shared or test inbox)
final as (
    select
        orders.order_id,
        coalesce(customer_persons.person_id, email_persons.person_id) as person_id,
        case
            when customer_persons.person_id is not null then 'user_id'
            when email_persons.person_id is not null then 'email_hash'
        end as resolved_via,
        case
            when customer_persons.person_id is not null then orders.customer_id
            when email_persons.person_id is not null then orders.email_hash
        end as resolved_identifier,
        orders.customer_id,
        orders.order_status,
        orders.is_refunded,
        orders.is_cancelled,
        orders.currency,
        orders.subtotal,
        orders.discount_amount,
        orders.shipping_amount,
        orders.total_amount,
        orders.total_amount_usd,
        coalesce(order_lines.line_count, 0) as line_count,
        coalesce(order_lines.item_count, 0) as item_count,
        orders.ordered_at,
        orders.updated_at,
        {{ known_at('orders.ordered_at', 'order_arrivals.arrived_at') }} as known_at,
        {{ known_at(extract_version_at('commerce.orders', 'orders'), 'version_arrivals.arrived_at') }}
            as version_known_at
    from orders
    left join customer_persons
        on orders.customer_id = customer_persons.customer_id
    left join email_persons
        on orders.email_hash = email_persons.email_hash
    left join order_lines
        on orders.order_id = order_lines.order_id
    left join order_arrivals
        on orders.order_id = order_arrivals.record_id
    left join version_arrivals
        on
            orders.order_id = version_arrivals.record_id
            and {{ extract_version_at('commerce.orders', 'orders') }} = version_arrivals.version_at
    -- orders of erased persons (by their login or their email) are never stored
    where
        not {{ is_tombstoned('orders.customer_id', 'user_id') }}
        and not {{ is_tombstoned('orders.email_hash', 'email_hash') }}
)

select * from final
