{#- The project's single "now". Every window, age and recency is measured from here, never from the clock. -#}
{%- if var('as_of') is not none -%}
{%- set as_of_expr = "max(cast('" ~ var('as_of') ~ "' as timestamp))" -%}
{%- set as_of_source = 'var' -%}
{%- else -%}
{%- set as_of_expr = 'max(received_at)' -%}
{%- set as_of_source = 'data' -%}
{%- endif %}

with

events as (
    select * from {{ ref('stg_events__events') }}
),

pages as (
    select * from {{ ref('stg_web__pages') }}
),

received as (
    select max(received_at) as received_at from events
    union all
    select max(received_at) as received_at from pages
),

final as (
    select
        {{ as_of_expr }} as as_of_at,
        cast({{ as_of_expr }} as date) as as_of_date,
        '{{ as_of_source }}' as as_of_source
    from received
)

select * from final
