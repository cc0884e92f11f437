{{ config(tags=['person_level']) }}

with

orders as (
    select * from {{ ref('int_orders_priced') }}
),

final as (
    select * from orders
)

select * from final
