{{ config(materialized='view', tags=['person_level']) }}

{#- The identity map every person-level model reads: int_identifiers_resolved without erased persons, so
    an inner join to it drops them and a left join finds no person for their identifiers. A view: the
    anti-join is cheap and the map never goes stale. -#}
with

identifiers as (
    select * from {{ ref('int_identifiers_resolved') }}
),

erased_persons as (
    select * from {{ ref('int_persons_erased') }}
),

final as (
    select identifiers.*
    from identifiers
    left join erased_persons
        on identifiers.person_id = erased_persons.person_id
    where erased_persons.person_id is null
)

select * from final
