{{ config(tags=['erasure_input']) }}

{#- The list that keeps erased persons out: every identifier of an erased person, plus each requested
    identifier the identity graph does not know (yet), so its first records stay out too. Values are the
    pseudonymous ids the warehouse already holds (emails only as their salted hash), never raw PII.
    Records carrying any of these identifiers are dropped where they are first stored, so data of an erased
    person that lands again, even next to a new identifier, never reaches a model: the new identifier is
    linked to the erased person by the identity graph and is tombstoned with them. -#}
with

requests as (
    select * from {{ ref('stg_privacy__erasure_requests') }}
),

erased_persons as (
    select * from {{ ref('int_persons_erased') }}
),

identifiers as (
    select * from {{ ref('int_identifiers_resolved') }}
),

person_identifiers as (
    select
        identifiers.identifier_type,
        identifiers.identifier_value,
        identifiers.person_id,
        erased_persons.request_id,
        erased_persons.requested_at
    from identifiers
    inner join erased_persons
        on identifiers.person_id = erased_persons.person_id
),

requested_identifiers as (
    select
        {{ erasure_identifier_type('identifier_type') }} as identifier_type,
        identifier_key as identifier_value,
        request_id,
        requested_at,
        row_number() over (
            partition by identifier_type, identifier_key
            order by requested_at, request_id
        ) as request_rank
    from requests
),

-- requested identifiers that resolve to no person and are not blocked placeholders or shared inboxes
unknown_identifiers as (
    select
        requested_identifiers.identifier_type,
        requested_identifiers.identifier_value,
        cast(null as string) as person_id,
        requested_identifiers.request_id,
        requested_identifiers.requested_at
    from requested_identifiers
    left join identifiers
        on
            requested_identifiers.identifier_type = identifiers.identifier_type
            and requested_identifiers.identifier_value = identifiers.identifier_value
    where
        requested_identifiers.request_rank = 1
        and identifiers.identifier_value is null
),

tombstones as (
    select * from person_identifiers
    union all
    select * from unknown_identifiers
),

final as (
    select
        identifier_type || ':' || identifier_value as tombstone_id,
        identifier_type,
        identifier_value,
        person_id,
        request_id,
        requested_at
    from tombstones
)

select * from final
