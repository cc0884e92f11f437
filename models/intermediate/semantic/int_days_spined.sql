{{ config(materialized='table') }}

-- One row per calendar day: the time spine MetricFlow joins cumulative and time-offset metrics to.
with

days as (
    {{ day_series("date '2020-01-01'", "date '2031-01-01'") }}
),

final as (
    select date_day
    from days
)

select * from final
