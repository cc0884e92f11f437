{{ config(tags=['person_level']) }}

{#- Training data for segments and recommenders: the interactions of fct_interactions, at its grain, counted
    only when the person held personalization consent at the moment of the interaction. -#}
{%- set granted_by_default = 'personalization' in var('consent_purposes_granted_by_default') %}

with

interactions as (
    select * from {{ ref('int_interactions_weighted') }}
),

consent_intervals as (
    select * from {{ ref('int_consent_intervals') }}
    where purpose = 'personalization'
),

consent_current as (
    select * from {{ ref('int_consent_current') }}
    where purpose = 'personalization'
),

as_of as (
    select * from {{ ref('int_as_of_resolved') }}
),

-- the state in force when the interaction happened: intervals run from valid_from (inclusive) to valid_to
-- (exclusive); before a person's first consent record the default applies
interactions_in_consent_state as (
    select
        interactions.*,
        coalesce(consent_intervals.is_granted, {{ granted_by_default }}) as is_consented
    from interactions
    left join consent_intervals
        on
            interactions.person_id = consent_intervals.person_id
            and interactions.occurred_at >= consent_intervals.valid_from
            and (consent_intervals.valid_to is null or interactions.occurred_at < consent_intervals.valid_to)
),

consented_interactions as (
    select * from interactions_in_consent_state
    where is_consented
),

person_items as (
    {{ aggregate_person_items('consented_interactions') }}
),

-- keys and rounding as in int_person_items_summed (person_item_columns), so the two compare row for row
final as (
    select
        {{ person_item_columns('person_items') }},
        cast(coalesce(consent_current.is_granted, {{ granted_by_default }}) as boolean)
            as has_personalization_consent,
        cast(as_of.as_of_at as timestamp) as as_of_at
    from person_items
    cross join as_of
    left join consent_current
        on person_items.person_id = consent_current.person_id
)

select * from final
