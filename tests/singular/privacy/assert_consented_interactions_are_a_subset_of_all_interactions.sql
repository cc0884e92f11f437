-- Consented training data is fct_interactions with interactions removed, never added: every row exists
-- there with counts no higher; a person whose personalization consent was granted before their first
-- interaction and never changed has exactly the rows and weights of fct_interactions.
-- One full outer join answers both checks, in one pass: two joins of the two large tables side by side
-- ran out of memory at scale `l` under a 6 GB limit.
{%- set counts = ['view_count', 'cart_count', 'purchase_count', 'refund_count', 'recommendation_click_count'] %}

with

consented as {{ not_materialized() }} (
    select
        person_item_id,
        {% for count in counts -%}
        {{ count }},
        {% endfor -%}
        interaction_weight
    from {{ ref('int_interactions_consented') }}
),

interactions as {{ not_materialized() }} (
    select
        person_item_id,
        person_id,
        first_interaction_at,
        {% for count in counts -%}
        {{ count }},
        {% endfor -%}
        interaction_weight
    from {{ ref('fct_interactions') }}
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

paired as (
    select
        consented.person_item_id as consented_id,
        interactions.person_item_id as interaction_id,
        interactions.person_id,
        (
            {% for count in counts -%}
            {{ 'or ' if not loop.first }}consented.{{ count }} > interactions.{{ count }}
            {% endfor -%}
        ) as has_higher_count,
        abs(consented.interaction_weight - interactions.interaction_weight) > 1e-6 as has_other_weight
    from consented
    full outer join interactions
        on consented.person_item_id = interactions.person_item_id
),

final as (
    select
        coalesce(paired.consented_id, paired.interaction_id) as person_item_id,
        case
            when
                paired.consented_id is not null
                and (paired.interaction_id is null or paired.has_higher_count)
                then 'not in fct_interactions or counts higher'
            when
                always_consented_persons.person_id is not null
                and (paired.consented_id is null or paired.has_other_weight)
                then 'differs for an always-consented person'
        end as failure
    from paired
    left join always_consented_persons
        on paired.person_id = always_consented_persons.person_id
)

select * from final
where failure is not null
