with

consent_events as (

    select * from {{ ref('base_privacy__consent_events') }}

),

final as (

    select
        consent_event_id,
        quarantine_reason,
        raw_record

    from consent_events
    where quarantine_reason is not null

)

select * from final
