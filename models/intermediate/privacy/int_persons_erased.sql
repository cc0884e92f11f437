{{ config(tags=['erasure_input']) }}

{#- An erasure request for any identifier erases the whole person it resolves to: every identifier the
    identity graph gives that person. Requests are honoured on every build, whatever the as-of date. -#}
with

requests as (
    select * from {{ ref('stg_privacy__erasure_requests') }}
),

-- the full identity graph, erased persons included: the only way to find all of a person's identifiers
identifiers as (
    select * from {{ ref('int_identifiers_resolved') }}
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

-- blocked identifiers (placeholders, shared inboxes) belong to nobody, so they erase nobody
resolved_requests as (
    select
        identifiers.person_id,
        requested_identifiers.request_id,
        requested_identifiers.requested_identifier_type,
        requested_identifiers.requested_at,
        row_number() over (
            partition by identifiers.person_id
            order by requested_identifiers.requested_at, requested_identifiers.request_id
        ) as request_rank
    from requested_identifiers
    inner join identifiers
        on
            requested_identifiers.identifier_type = identifiers.identifier_type
            and requested_identifiers.identifier_value = identifiers.identifier_value
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
    from identifiers
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
