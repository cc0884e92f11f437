{#- The CTEs that turn consent events into consent intervals per person, ending in `final`. The caller
    defines `consent_events` (stg_privacy__consent_events' columns) and `identifiers` (an identity map:
    identifier_type, identifier_value, person_id; persons only): int_consent_intervals reads today's map,
    the recommender's refit the map as known at its refit instant. One definition for both, so consent as
    of the refit is judged exactly as today's consent is. -#}
{% macro consent_interval_ctes() %}
-- a logged-in user_id is the stronger key; the device resolves events whose user_id is missing or unknown
resolved_events as (
    select
        consent_events.consent_event_id,
        coalesce(by_user.person_id, by_device.person_id) as person_id,
        consent_events.purpose,
        consent_events.is_granted,
        consent_events.consent_source,
        consent_events.occurred_at
    from consent_events
    left join identifiers as by_user
        on
            consent_events.user_id = by_user.identifier_value
            and by_user.identifier_type = 'user_id'
    left join identifiers as by_device
        on
            consent_events.anonymous_id = by_device.identifier_value
            and by_device.identifier_type = 'anonymous_id'
    where coalesce(by_user.person_id, by_device.person_id) is not null
),

-- events of one person at one instant collapse into one state: a revocation beats a simultaneous grant
instants as (
    select
        person_id,
        purpose,
        occurred_at,
        min(case when is_granted then 1 else 0 end) = 1 as is_granted,
        min(consent_source) as consent_source,
        count(*) as event_count
    from resolved_events
    group by person_id, purpose, occurred_at
),

changes as (
    select
        *,
        case
            when
                lag(is_granted) over (partition by person_id, purpose order by occurred_at) = is_granted
                then 0
            else 1
        end as is_state_change
    from instants
),

runs as (
    select
        *,
        sum(is_state_change) over (
            partition by person_id, purpose order by occurred_at rows between unbounded preceding and current row
        ) as run_number
    from changes
),

intervals as (
    select
        person_id,
        purpose,
        run_number,
        min(occurred_at) as valid_from,
        max(case when is_state_change = 1 then consent_source end) as consent_source,
        sum(event_count) as event_count,
        min(case when is_granted then 1 else 0 end) = 1 as is_granted
    from runs
    group by person_id, purpose, run_number
),

final as (
    select
        {{ hash("person_id || '|' || purpose || '|' || cast(valid_from as string)") }} as consent_interval_id,
        person_id,
        purpose,
        is_granted,
        valid_from,
        lead(valid_from) over (partition by person_id, purpose order by valid_from) as valid_to,
        lead(valid_from) over (partition by person_id, purpose order by valid_from) is null as is_current,
        consent_source,
        event_count
    from intervals
)
{% endmacro %}
