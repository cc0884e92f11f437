with

consent_events as (

    select * from {{ ref('base_privacy__consent_events') }}

),

final as (

    select
        consent_event_id,
        anonymous_id,
        user_id,
        purpose,
        is_granted,
        consent_source,
        occurred_at

    from consent_events
    where quarantine_reason is null

)

select * from final
