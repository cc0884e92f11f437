-- The recommended allocations and the probabilities of being best of one experiment each sum to 1.
with

allocations as (
    select * from {{ ref('fct_bandit_allocations') }}
),

final as (
    select
        experiment_id,
        sum(allocation) as total_allocation,
        sum(prob_best) as total_prob_best
    from allocations
    group by experiment_id
    having
        abs(sum(allocation) - 1) > 1e-9
        or abs(sum(prob_best) - 1) > 1e-9
)

select * from final
