-- Sessions of one person on one device never overlap, and the next one starts only after a gap longer
-- than the inactivity timeout; otherwise sessionization merged or split wrongly.
{%- set inactivity_minutes = var('session_inactivity_minutes') %}

with

sessions as (
    select * from {{ ref('int_sessions_sessionized') }}
),

ordered as (
    select
        session_id,
        person_id,
        device_id,
        session_start_at,
        session_end_at,
        lead(session_start_at) over (
            partition by person_id, device_id
            order by session_start_at
        ) as next_session_start_at
    from sessions
),

final as (
    select *
    from ordered
    where
        session_end_at < session_start_at
        or next_session_start_at
        <= {{ add_minutes('session_end_at', inactivity_minutes) }}
)

select * from final
