{{ config(materialized='view', tags=['erasure_input']) }}

{#- The rows of int_identity_edges that the cap audit (int_identity_edges_refused) needs: those whose left
    identifier belongs to a person who refused an edge, or is blocklisted. A component of the graph that
    breaks a cap is split into several persons joined by refused edges, so each of its persons has an
    identifier on one: the audit sees those components whole, as in the full graph, and any other
    component the kept rows touch breaks no cap. The right side needs no check: a row links two identifiers
    of one component unless its left side is blocklisted, and blocklisted identifiers' rows are all kept, so
    an identifier blocked in the full graph is blocked here. At scale l: 22,006 of 8.75M rows. -#}
with

edges as (
    select * from {{ ref('int_identity_edges') }}
),

identifiers as (
    select * from {{ ref('int_identifiers_resolved') }}
),

split_persons as (
    select distinct person_id
    from identifiers
    where n_refused_edges > 0
),

contested_identifiers as (
    select
        identifier_type,
        identifier_value
    from identifiers
    where
        is_blocked
        or person_id in (select split_persons.person_id from split_persons)
),

final as (
    select edges.*
    from edges
    inner join contested_identifiers
        on
            edges.left_type = contested_identifiers.identifier_type
            and edges.left_value = contested_identifiers.identifier_value
)

select * from final
