with

events as (

    select * from {{ ref('base_events__events') }}

),

final as (

    select
        event_id,
        quarantine_reason,
        raw_record,
        dt

    from events
    where quarantine_reason is not null

)

select * from final
