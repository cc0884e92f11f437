{{ config(tags=['person_level']) }}

with

interactions as (
    select * from {{ ref('int_interactions_weighted') }}
),

as_of as (
    select * from {{ ref('int_as_of_resolved') }}
),

person_items as (
    {{ aggregate_person_items('interactions') }}
),

-- weights rounded to 6 decimals for readers; the exact decimal sum above makes them reproducible
final as (
    select
        {{ person_item_columns('person_items') }},
        cast(as_of.as_of_at as timestamp) as as_of_at
    from person_items
    cross join as_of
)

select * from final
