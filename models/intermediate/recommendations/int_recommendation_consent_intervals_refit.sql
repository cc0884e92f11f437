{{ config(materialized='view', tags=['person_level']) }}

{#- Personalization consent intervals of the persons as known at the refit instant
    (int_identifiers_resolved_at_refit), from the consent events that occurred before it: built exactly as
    int_consent_intervals, so a merge seen after the refit does not change whose consent the refit judges
    its training rows by. A view: only the refit's input and its fingerprint read it. -#}
with

refit as (
    select * from {{ ref('int_recommendation_refit_planned') }}
),

consent_events as (
    select consent_events.*
    from {{ ref('stg_privacy__consent_events') }} as consent_events
    cross join refit
    where
        consent_events.purpose = 'personalization'
        and consent_events.occurred_at < refit.refit_at
),

identifiers as (
    select * from {{ ref('int_identifiers_resolved_at_refit') }}
),

{{ consent_interval_ctes() }}

select * from final
