{{ config(materialized='view', tags=['person_level']) }}

{#- Personalization consent intervals of the persons as known at the refit instant
    (int_identifiers_resolved_at_refit), from the consent events that occurred before it: built exactly as
    int_consent_intervals, so a merge seen after the refit does not change whose consent the refit judges
    its training rows by. Known before it: by the record's arrival too (int_extract_versions_arrived). A view: only the refit's input and its fingerprint read it. -#}
with

refit as (
    select * from {{ ref('int_recommendation_refit_planned') }}
),

consent_arrivals as (
    {{ arrived_versions('privacy.consent_events') }}
),

-- known before the instant: a record dated before it that a later extract brought is not
consent_events as (
    select consent_events.*
    from {{ ref('stg_privacy__consent_events') }} as consent_events
    cross join refit
    left join consent_arrivals
        on
            consent_events.consent_event_id = consent_arrivals.record_id
            and {{ extract_version_at('privacy.consent_events', 'consent_events') }} = consent_arrivals.version_at
    where
        consent_events.purpose = 'personalization'
        and {{ known_at('consent_events.occurred_at', 'consent_arrivals.arrived_at') }} < refit.refit_at
),

identifiers as (
    select * from {{ ref('int_identifiers_resolved_at_refit') }}
),

{{ consent_interval_ctes() }}

select * from final
