{{ config(tags=['erasure_input']) }}

{#- One row per erased person: the persons of int_erasure_tombstones, with the earliest request that named
    one of their identifiers. An erasure request for any identifier erases the whole person it resolves to.
    Requests are honoured on every build, whatever the as-of date, and a person stays erased after their
    records have left the identity graph (the tombstones are kept). -#}
with

requests as (
    select * from {{ ref('stg_privacy__erasure_requests') }}
),

tombstones as (
    select * from {{ ref('int_erasure_tombstones') }}
    where person_id is not null
),

requested_identifiers as (
    select
        request_id,
        identifier_type as requested_identifier_type,
        {{ erasure_identifier_type('identifier_type') }} as identifier_type,
        identifier_key as identifier_value,
        requested_at
    from requests
),

resolved_requests as (
    select
        tombstones.person_id,
        requested_identifiers.request_id,
        requested_identifiers.requested_identifier_type,
        requested_identifiers.requested_at,
        row_number() over (
            partition by tombstones.person_id
            order by requested_identifiers.requested_at, requested_identifiers.request_id
        ) as request_rank
    from requested_identifiers
    inner join tombstones
        on
            requested_identifiers.identifier_type = tombstones.identifier_type
            and requested_identifiers.identifier_value = tombstones.identifier_value
),

person_requests as (
    select
        person_id,
        count(distinct request_id) as request_count
    from resolved_requests
    group by person_id
),

person_identifiers as (
    select
        person_id,
        count(*) as identifier_count
    from tombstones
    group by person_id
),

final as (
    select
        resolved_requests.person_id,
        resolved_requests.request_id,
        resolved_requests.requested_identifier_type,
        resolved_requests.requested_at,
        person_requests.request_count,
        person_identifiers.identifier_count
    from resolved_requests
    inner join person_requests
        on resolved_requests.person_id = person_requests.person_id
    inner join person_identifiers
        on resolved_requests.person_id = person_identifiers.person_id
    where resolved_requests.request_rank = 1
)

select * from final
