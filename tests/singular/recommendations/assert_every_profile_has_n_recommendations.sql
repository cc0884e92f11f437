{#- Every person of dim_customer_profiles has exactly var recommendations.top_n recommendations, ranked 1..N without
    gaps, and nobody outside the profile has any. One row per person whose list is wrong. -#}
{%- set top_n = setting('recommendations', 'top_n') %}

with

profiles as (
    select * from {{ ref('dim_customer_profiles') }}
),

recommendations as (
    select * from {{ ref('fct_recommendations') }}
),

lists as (
    select
        person_id,
        count(*) as recommendation_count,
        count(distinct rank) as distinct_ranks,
        min(rank) as first_rank,
        max(rank) as last_rank
    from recommendations
    group by person_id
),

final as (
    select
        coalesce(profiles.person_id, lists.person_id) as person_id,
        profiles.person_id is not null as is_in_profile,
        coalesce(lists.recommendation_count, 0) as recommendation_count,
        lists.first_rank,
        lists.last_rank
    from profiles
    full outer join lists
        on profiles.person_id = lists.person_id
    where
        profiles.person_id is null
        or lists.person_id is null
        or lists.recommendation_count != {{ top_n }}
        or lists.distinct_ranks != {{ top_n }}
        or lists.first_rank != 1
        or lists.last_rank != {{ top_n }}
)

select * from final
