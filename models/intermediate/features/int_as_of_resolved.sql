{#- The project's single "now". Every window, age and recency is measured from here, never from the clock. -#}
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
        {% if var('as_of') is not none -%}
            cast('{{ var("as_of") }}' as timestamp) as as_of_at,
            cast(cast('{{ var("as_of") }}' as timestamp) as date) as as_of_date,
            'var' as as_of_source
        {%- else -%}
            max(received_at) as as_of_at,
            cast(max(received_at) as date) as as_of_date,
            'data' as as_of_source
        {%- endif %}
    from received
)

select * from final
