{{ config(tags=['person_level']) }}

{#- Who marketing may contact now: persons whose marketing consent is granted at the as-of time. Erased
    persons are gone upstream (the identity map no longer holds them). -#}
with

consent as (
    select * from {{ ref('int_consent_current') }}
    where purpose = 'marketing'
),

profiles as (
    select * from {{ ref('dim_customer_profiles') }}
),

identifiers as (
    select * from {{ ref('int_identifiers_retained') }}
    where person_id is not null
),

-- the keys an activation tool can match on: the login (also the shop's customer id) and a CRM contact
activation_keys as (
    select
        person_id,
        min(case when identifier_type = 'user_id' then identifier_value end) as user_id,
        min(case when identifier_type = 'crm_contact_id' then identifier_value end) as crm_contact_id
    from identifiers
    group by person_id
),

final as (
    select
        cast(consent.person_id as string) as person_id,
        cast(activation_keys.user_id as string) as user_id,
        cast(activation_keys.crm_contact_id as string) as crm_contact_id,
        cast(profiles.segment_id as string) as segment_id,
        cast(profiles.segment_name as string) as segment_name,
        cast(coalesce(profiles.has_email, false) as boolean) as has_email,
        cast(coalesce(profiles.is_email_opted_out, false) as boolean) as is_email_opted_out,
        cast(profiles.person_id is not null as boolean) as has_profile,
        cast(consent.state_since_at as timestamp) as marketing_consent_since_at,
        cast(consent.as_of_at as timestamp) as as_of_at
    from consent
    left join profiles
        on consent.person_id = profiles.person_id
    left join activation_keys
        on consent.person_id = activation_keys.person_id
    where consent.is_granted
)

select * from final
