{#- A person without personalization consent (or not in the profile at all) gets non-personalized
    recommendations only: every row global popularity, never a personal model or their segment's taste.
    One row per offending recommendation. -#}
with

recommendations as (
    select * from {{ ref('fct_recommendations') }}
),

profiles as (
    select * from {{ ref('dim_customer_profiles') }}
),

final as (
    select
        recommendations.person_id,
        recommendations.rank,
        recommendations.item_id,
        recommendations.rec_source,
        recommendations.is_personalized,
        profiles.has_personalization_consent
    from recommendations
    left join profiles
        on recommendations.person_id = profiles.person_id
    where
        not coalesce(profiles.has_personalization_consent, false)
        and (recommendations.rec_source != 'global_popularity' or recommendations.is_personalized)
)

select * from final
