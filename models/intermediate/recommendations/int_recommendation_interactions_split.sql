{{ config(materialized='view', tags=['person_level']) }}

{#- The offline evaluation's temporal holdout, one row per person x item x split: `train` aggregates what
    happened before the cutoff (as-of date minus recommendations.eval_holdout_days) exactly as the production input
    does at the as-of date, with weights decayed to the cutoff and purchases net of refunds made by then;
    `test` holds the consented interactions from the cutoff on, the pairs a good model should have ranked.
    Consent is judged per interaction, as in int_interactions_consented (which is aggregated and so cannot
    be split in time). A view: its one reader, the evaluation, runs every recommendations.eval_every_days
    days and keeps its stored run in between, so a daily build no longer aggregates the whole history
    into a table nobody reads that day. -#}
{%- set granted_by_default = 'personalization' in var('consent_purposes_granted_by_default') %}

with

interactions as (
    select * from {{ ref('int_interactions_weighted') }}
),

consent_intervals as (
    select * from {{ ref('int_consent_intervals') }}
    where purpose = 'personalization'
),

as_of as (
    select * from {{ ref('int_as_of_resolved') }}
),

split_bounds as (
    select {{ dateadd('day', -1 * setting('recommendations', 'eval_holdout_days'), 'as_of_at') }} as cutoff_at
    from as_of
),

-- intervals run from valid_from (inclusive) to valid_to (exclusive); before a first record the default holds
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

labelled as (
    select
        interactions_in_consent_state.*,
        split_bounds.cutoff_at,
        interactions_in_consent_state.occurred_at < split_bounds.cutoff_at as is_before_cutoff,
        greatest(
            {{ days_between('interactions_in_consent_state.occurred_at', 'split_bounds.cutoff_at') }}, 0
        ) as age_days_at_cutoff
    from interactions_in_consent_state
    cross join split_bounds
),

train as (
    select
        person_id,
        item_id,
        'train' as split_name,
        sum(
            case
                when is_consented
                    then base_weight * exp(-ln(2) * age_days_at_cutoff / {{ var('interaction_half_life_days') }})
                else 0.0
            end
        ) as weight,
        sum(case when interaction_type = 'purchase' then 1 else 0 end)
        > sum(case when interaction_type = 'refund' then 1 else 0 end) as has_purchased,
        bool_or(is_consented) as is_consented,
        max(case when is_consented then occurred_at end) as last_interaction_at,
        max(case when interaction_type = 'purchase' then occurred_at end) as last_purchased_at,
        max(cutoff_at) as cutoff_at
    from labelled
    where is_before_cutoff
    group by
        person_id,
        item_id
),

test as (
    select
        person_id,
        item_id,
        'test' as split_name,
        cast(sum(cast(base_weight as decimal(18, 9))) as double) as weight,
        bool_or(interaction_type = 'purchase') as has_purchased,
        true as is_consented,
        max(occurred_at) as last_interaction_at,
        max(case when interaction_type = 'purchase' then occurred_at end) as last_purchased_at,
        max(cutoff_at) as cutoff_at
    from labelled
    where
        not is_before_cutoff
        and is_consented
    group by
        person_id,
        item_id
),

unioned as (
    select * from train
    where
        is_consented
        or has_purchased
    union all
    select * from test
),

-- rounded so that the sums do not depend on the order the engine adds the terms in
final as (
    select
        cast(split_name || '|' || person_id || '|' || item_id as string) as split_interaction_id,
        cast(split_name as string) as split_name,
        cast(person_id as string) as person_id,
        cast(item_id as string) as item_id,
        cast(round(weight, 6) as double) as weight,
        cast(has_purchased as boolean) as has_purchased,
        cast(is_consented as boolean) as is_consented,
        cast(last_interaction_at as timestamp) as last_interaction_at,
        cast(case when has_purchased then last_purchased_at end as timestamp) as last_purchased_at,
        cast(cutoff_at as timestamp) as cutoff_at
    from unioned
)

select * from final
