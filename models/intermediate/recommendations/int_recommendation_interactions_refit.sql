{{ config(materialized='view', tags=['person_level']) }}

{#- The recommender's input as known at the refit instant (int_recommendation_refit_planned), one row per
    person x item, with int_recommendation_interactions_prepared's columns: interactions known before the
    instant, each given its person as known then (int_identifiers_resolved_at_refit, through the identifier
    that tied it to today's person), weights decayed to it, consent judged per interaction by that person's
    consent then, purchases net of the refunds known by then. Whatever day a build runs on, the same refit
    date reads the same rows, identity merges seen since included, so a full refresh fits the factors the
    incremental build fitted. A view: only the refit and its fingerprint read it. -#}
{%- set granted_by_default = 'personalization' in var('consent_purposes_granted_by_default') %}

with

interactions as (
    select * from {{ ref('int_interactions_weighted') }}
),

identifiers_at_refit as (
    select * from {{ ref('int_identifiers_resolved_at_refit') }}
),

consent_intervals as (
    select * from {{ ref('int_recommendation_consent_intervals_refit') }}
),

refit as (
    select * from {{ ref('int_recommendation_refit_planned') }}
),

known_interactions as (
    select
        interactions.interaction_id,
        identifiers_at_refit.person_id,
        interactions.item_id,
        interactions.interaction_type,
        interactions.occurred_at,
        {{ decayed_weight('interactions.base_weight', 'interactions.occurred_at', 'refit.refit_at') }} as weight
    from interactions
    cross join refit
    inner join identifiers_at_refit
        on
            interactions.identifier_type = identifiers_at_refit.identifier_type
            and interactions.identifier_value = identifiers_at_refit.identifier_value
    where interactions.known_at < refit.refit_at
),

-- a purchase is reversed by its refund (interaction id '<order line>:refund') when that was known by then
with_reversal as (
    select
        known_interactions.*,
        coalesce(
            known_interactions.interaction_type = 'purchase' and refunds.interaction_id is not null, false
        ) as is_reversed
    from known_interactions
    left join known_interactions as refunds
        on refunds.interaction_id = known_interactions.interaction_id || ':refund'
),

-- intervals run from valid_from (inclusive) to valid_to (exclusive); before a first record the default holds
in_consent_state as (
    select
        with_reversal.*,
        coalesce(consent_intervals.is_granted, {{ granted_by_default }}) as is_consented
    from with_reversal
    left join consent_intervals
        on
            with_reversal.person_id = consent_intervals.person_id
            and with_reversal.occurred_at >= consent_intervals.valid_from
            and (consent_intervals.valid_to is null or with_reversal.occurred_at < consent_intervals.valid_to)
),

consented_interactions as (
    select * from in_consent_state
    where is_consented
),

consented_person_items as (
    {{ aggregate_person_items('consented_interactions') }}
),

purchases as (
    select
        person_id,
        item_id,
        max(occurred_at) as last_purchased_at
    from with_reversal
    where
        interaction_type = 'purchase'
        and not is_reversed
    group by
        person_id,
        item_id
),

-- as int_recommendation_interactions_prepared: consented weights rounded to 6 decimals, every purchase held
final as (
    select
        cast(coalesce(consented_person_items.person_id, purchases.person_id) as string) as person_id,
        cast(coalesce(consented_person_items.item_id, purchases.item_id) as string) as item_id,
        cast(coalesce(round(consented_person_items.interaction_weight, 6), 0.0) as double) as weight,
        cast(purchases.last_purchased_at is not null as boolean) as has_purchased,
        cast(consented_person_items.person_id is not null as boolean) as is_consented,
        cast(consented_person_items.last_interaction_at as timestamp) as last_interaction_at,
        cast(purchases.last_purchased_at as timestamp) as last_purchased_at
    from consented_person_items
    full outer join purchases
        on
            consented_person_items.person_id = purchases.person_id
            and consented_person_items.item_id = purchases.item_id
)

select * from final
