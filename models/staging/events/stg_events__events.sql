with

events as (

    select * from {{ ref('base_events__events') }}

),

final as (

    select
        event_id,
        anonymous_id,
        user_id,
        event_type,
        item_id,
        event_at,
        received_at,
        dt,
        is_late,
        scroll_percent,
        video_seconds,
        search_query,
        feature_name,
        rec_slot,
        properties_json,
        landing_fingerprint

    from events
    where quarantine_reason is null

)

select * from final
