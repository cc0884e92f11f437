{{ config(tags=['person_level']) }}

{#- Persons whose recommendations are folded in and rescored on this build although the factors were not
    refitted, one row per person: an interaction or any event known after the refit instant (new activity,
    late events, purchases, refunds, a device linked to them), a personalization consent record from
    then on or known from then on (a later extract brought it: int_extract_versions_arrived), or an
    identity grouping that is not the one the refit trained on (an identifier whose person
    today differs from its person at the refit instant: both persons, the one it joined and the one it left,
    are listed; merges only grow persons, so this holds until the next refit like the other reasons). Every reason holds from the day it first does until the next refit, so a full refresh finds
    the same persons as the daily builds did. int_recommendations_scored adds the row-level reasons
    (recommended items that changed, rows served from popularity). -#}
with

interactions as (
    select * from {{ ref('int_interactions_weighted') }}
),

events as (
    select * from {{ ref('int_events_identified') }}
),

consent_intervals as (
    select * from {{ ref('int_consent_intervals') }}
    where purpose = 'personalization'
),

refit as (
    select * from {{ ref('int_recommendation_refit_planned') }}
),

identifiers as (
    select * from {{ ref('int_identifiers_retained') }}
),

identifiers_at_refit as (
    select * from {{ ref('int_identifiers_resolved_at_refit') }}
),

{{ event_persons_ctes() }}

consent_arrivals as (
    {{ arrived_versions('privacy.consent_events') }}
),

-- personalization records dated before the refit instant that a later extract brought (their arrival is
-- after it): the refit did not know them, so their person is rescored as after any consent change
late_consent_events as (
    select
        consent_events.user_id,
        consent_events.anonymous_id
    from {{ ref('stg_privacy__consent_events') }} as consent_events
    cross join refit
    inner join consent_arrivals
        on
            consent_events.consent_event_id = consent_arrivals.record_id
            and {{ extract_version_at('privacy.consent_events', 'consent_events') }} = consent_arrivals.version_at
    where
        consent_events.purpose = 'personalization'
        and consent_events.occurred_at < refit.refit_at
        and {{ known_at('consent_events.occurred_at', 'consent_arrivals.arrived_at') }} >= refit.refit_at
),

-- a consent record's person as an event's: the login outranks the device (event_person_id)
late_consent_persons as (
    select {{ event_person_id() }} as person_id
    from late_consent_events
    {{ event_persons_joins('late_consent_events') }}
),

regrouped as (
    select
        identifiers.person_id as person_id_today,
        identifiers_at_refit.person_id as person_id_at_refit
    from identifiers_at_refit
    inner join identifiers
        on
            identifiers_at_refit.identifier_type = identifiers.identifier_type
            and identifiers_at_refit.identifier_value = identifiers.identifier_value
    where identifiers.person_id is distinct from identifiers_at_refit.person_id
),

reasons as (
    select
        interactions.person_id,
        'new_interactions' as change_reason
    from interactions
    cross join refit
    where interactions.known_at >= refit.refit_at
    union all
    select
        events.person_id,
        'new_events' as change_reason
    from events
    cross join refit
    where
        events.received_at >= refit.refit_at
        and events.person_id is not null
    union all
    select
        consent_intervals.person_id,
        'consent_change' as change_reason
    from consent_intervals
    cross join refit
    where consent_intervals.valid_from >= refit.refit_at
    union all
    select
        person_id,
        'consent_change' as change_reason
    from late_consent_persons
    where person_id is not null
    union all
    select
        person_id_today as person_id,
        'identity_change' as change_reason
    from regrouped
    where person_id_today is not null
    union all
    select
        person_id_at_refit as person_id,
        'identity_change' as change_reason
    from regrouped
),

final as (
    select
        cast(person_id as string) as person_id,
        cast({{ sorted_distinct_string_agg('change_reason', ',') }} as string) as change_reasons
    from reasons
    group by person_id
)

select * from final
