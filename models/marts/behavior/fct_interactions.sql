{{ config(tags=['person_level']) }}

with

person_items as (
    select * from {{ ref('int_person_items_summed') }}
),

final as (
    select * from person_items
)

select * from final
