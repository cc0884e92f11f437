{{ config(tags=['person_level']) }}

{#- Who gets recommendations, one row per person of the profile: whether they hold personalization consent
    now (without it they get global popularity only and their behaviour trains nothing personal) and their
    segment, for the segment-popularity fallback (null: no segment, that tier is skipped). -#}
with

persons as (
    select * from {{ ref('int_person_features') }}
),

final as (
    select
        cast(persons.person_id as varchar) as person_id,
        cast(coalesce(persons.has_personalization_consent, false) as boolean) as has_personalization_consent,
        cast(null as varchar) as segment_id
    from persons
)

select * from final
