-- Consented training data is fct_interactions with interactions removed, never added: every row exists
-- there with counts no higher; a person whose personalization consent was granted before their first
-- interaction and never changed has exactly the rows and weights of fct_interactions.
with

consented as (
    select * from {{ ref('int_interactions_consented') }}
),

interactions as (
    select * from {{ ref('fct_interactions') }}
),

consent_intervals as (
    select * from {{ ref('int_consent_intervals') }}
    where purpose = 'personalization'
),

first_interactions as (
    select
        person_id,
        min(first_interaction_at) as first_interaction_at
    from interactions
    group by person_id
),

always_consented_persons as (
    select consent_intervals.person_id
    from consent_intervals
    inner join first_interactions
        on consent_intervals.person_id = first_interactions.person_id
    group by consent_intervals.person_id
    having
        count(*) = 1
        and bool_and(consent_intervals.is_granted)
        and min(consent_intervals.valid_from) <= min(first_interactions.first_interaction_at)
),

not_a_subset as (
    select
        consented.person_item_id,
        'not in fct_interactions or counts higher' as failure
    from consented
    left join interactions
        on consented.person_item_id = interactions.person_item_id
    where
        interactions.person_item_id is null
        or consented.view_count > interactions.view_count
        or consented.cart_count > interactions.cart_count
        or consented.purchase_count > interactions.purchase_count
        or consented.refund_count > interactions.refund_count
        or consented.recommendation_click_count > interactions.recommendation_click_count
),

always_consented_differs as (
    select
        interactions.person_item_id,
        'differs for an always-consented person' as failure
    from interactions
    inner join always_consented_persons
        on interactions.person_id = always_consented_persons.person_id
    left join consented
        on interactions.person_item_id = consented.person_item_id
    where
        consented.person_item_id is null
        or abs(consented.interaction_weight - interactions.interaction_weight) > 1e-6
),

final as (
    select * from not_a_subset
    union all
    select * from always_consented_differs
)

select * from final
