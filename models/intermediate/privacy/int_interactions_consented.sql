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

-- keys and rounding as in fct_interactions, so the two compare row for row
final as (
    select
        cast({{ sha256_hex("person_items.person_id || '|' || person_items.item_id") }} as string) as person_item_id,
        cast(person_items.person_id as string) as person_id,
        cast(person_items.item_id as string) as item_id,
        cast(round(person_items.interaction_weight, 6) as double) as interaction_weight,
        cast(person_items.view_count as bigint) as view_count,
        cast(person_items.recommendation_click_count as bigint) as recommendation_click_count,
        cast(person_items.cart_count as bigint) as cart_count,
        cast(person_items.cart_removal_count as bigint) as cart_removal_count,
        cast(person_items.checkout_start_count as bigint) as checkout_start_count,
        cast(person_items.purchase_count as bigint) as purchase_count,
        cast(person_items.refund_count as bigint) as refund_count,
        cast(person_items.last_purchased_at is not null as boolean) as has_purchased,
        cast(person_items.first_interaction_at as timestamp) as first_interaction_at,
        cast(person_items.last_interaction_at as timestamp) as last_interaction_at,
        cast(person_items.last_purchased_at as timestamp) as last_purchased_at,
        cast(coalesce(consent_current.is_granted, {{ granted_by_default }}) as boolean)
            as has_personalization_consent,
        cast(as_of.as_of_at as timestamp) as as_of_at
    from person_items
    cross join as_of
    left join consent_current
        on person_items.person_id = consent_current.person_id
)

select * from final
