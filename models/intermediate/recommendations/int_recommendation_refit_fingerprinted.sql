{#- A fingerprint of everything the refit reads, one row: the training rows of the persons consenting at
    the refit instant (weights, purchases, times) and the catalog as of the instant. The same refit date can
    read different rows on a later build: an erasure removes some, a row received before it lands late (and
    regroups persons when it shows an identity edge); a row received after it never counts. The stored fit
    (and the rows scored with it) is kept only while this fingerprint is unchanged, and refitted as of the
    same date otherwise, so a full refresh always fits what the daily build fitted. Hashes combine with bit_xor: no order, one pass. -#}
with

interactions as (
    select * from {{ ref('int_recommendation_interactions_refit') }}
),

persons as (
    select * from {{ ref('int_recommendation_persons_refit') }}
    where has_personalization_consent
),

items as (
    select * from {{ ref('int_recommendation_items_refit') }}
),

refit as (
    select * from {{ ref('int_recommendation_refit_planned') }}
),

training as (
    select
        count(*) as training_pair_count,
        bit_xor(
            hash(
                'training',
                interactions.person_id,
                interactions.item_id,
                interactions.weight,
                interactions.has_purchased,
                interactions.last_interaction_at,
                interactions.last_purchased_at
            )
        ) as training_hash
    from interactions
    inner join persons
        on interactions.person_id = persons.person_id
),

catalog as (
    select
        count(*) as item_count,
        bit_xor(
            hash('item', item_id, title, description, category, brand, tags, price_usd, is_active)
        ) as catalog_hash
    from items
),

final as (
    select
        cast(refit.refit_at as timestamp) as refit_at,
        cast(
            coalesce(cast(training.training_hash as string), 'none')
            || '-' || coalesce(cast(catalog.catalog_hash as string), 'none')
            as string
        ) as input_fingerprint,
        cast(training.training_pair_count as bigint) as training_pair_count,
        cast(catalog.item_count as bigint) as item_count
    from refit
    cross join training
    cross join catalog
)

select * from final
