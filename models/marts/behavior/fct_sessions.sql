{{ config(tags=['person_level']) }}

with

sessions as (
    select * from {{ ref('int_sessions_converted') }}
),

final as (
    select * from sessions
)

select * from final
