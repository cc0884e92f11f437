{{ config(materialized='view', tags=['person_level']) }}

{#- Who the refit trains and scores, one row per person as known at the refit instant
    (int_identifiers_resolved_at_refit): personalization consent as held at the instant (from the consent
    intervals of those persons, so any later build finds the same, merges since included). Persons no longer
    in today's profile, or grouped differently today, are dropped or rescored by int_recommendations_scored.
    No segment: rows the refit scores from popularity are rescored every day, so the refit's scoring never
    needs the segmentation of its day. -#}
{%- set granted_by_default = 'personalization' in var('consent_purposes_granted_by_default') %}

with

persons as (
    select distinct person_id from {{ ref('int_identifiers_resolved_at_refit') }}
),

consent_intervals as (
    select * from {{ ref('int_recommendation_consent_intervals_refit') }}
),

refit as (
    select * from {{ ref('int_recommendation_refit_planned') }}
),

consent_at_refit as (
    select
        consent_intervals.person_id,
        consent_intervals.is_granted
    from consent_intervals
    cross join refit
    where
        consent_intervals.valid_from < refit.refit_at
        and (consent_intervals.valid_to is null or consent_intervals.valid_to >= refit.refit_at)
),

final as (
    select
        cast(persons.person_id as string) as person_id,
        cast(coalesce(consent_at_refit.is_granted, {{ granted_by_default }}) as boolean)
            as has_personalization_consent,
        cast(null as string) as segment_id
    from persons
    left join consent_at_refit
        on persons.person_id = consent_at_refit.person_id
)

select * from final
