-- A weight decayed when read from the stored anchored factor (int_item_events_anchored, decay_anchored_weight)
-- is the weight decayed in one step from the interaction's time, base * 2^(-age_days / half-life), to the
-- 9 decimals both round to (the stored factor keeps 15 decimals, so at most the last decimal may differ).
with

interactions as (
    select * from {{ ref('int_interactions_weighted') }}
),

one_step as (
    select
        interaction_id,
        weight,
        round(base_weight * exp(-ln(2) * age_days / {{ var('interaction_half_life_days') }}), 9) as one_step_weight
    from interactions
),

final as (
    select * from one_step
    where abs(weight - one_step_weight) > 0.000000002
)

select * from final
