{{ config(tags=['erasure_input']) }}

{#- The list that keeps erased persons out: every identifier of an erased person, plus each requested
    identifier the identity graph does not know (yet), so its first records stay out too. Values are the
    pseudonymous ids the warehouse already holds (emails only as their salted hash), never raw PII.
    An erasure request erases the whole person its identifier resolves to, keyed by the earliest request.
    Tombstones of earlier runs (the store, erasure_tombstone_store) are kept as they were: staging erases the
    person's records after the run that tombstones them, so the identity graph no longer holds the person,
    and their identifiers stay tombstoned all the same. Records carrying any of these identifiers are
    dropped where they are first stored past staging, and staging itself erases them from the next run on. -#}
with

requests as (
    select * from {{ ref('stg_privacy__erasure_requests') }}
),

identifiers as (
    select * from {{ ref('int_identifiers_resolved') }}
),

stored as (
    {{ stored_erasure_tombstones() }}
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

-- blocked identifiers (placeholders, shared inboxes) belong to nobody, so they erase nobody
resolved_requests as (
    select
        identifiers.person_id,
        requested_identifiers.request_id,
        requested_identifiers.requested_at,
        row_number() over (
            partition by identifiers.person_id
            order by requested_identifiers.requested_at, requested_identifiers.request_id
        ) as person_request_rank
    from requested_identifiers
    inner join identifiers
        on
            requested_identifiers.identifier_type = identifiers.identifier_type
            and requested_identifiers.identifier_value = identifiers.identifier_value
    where identifiers.person_id is not null
),

erased_persons as (
    select
        person_id,
        request_id,
        requested_at
    from resolved_requests
    where person_request_rank = 1
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

computed as (
    select * from person_identifiers
    union all
    select * from unknown_identifiers
),

-- identifiers tombstoned by an earlier run keep their first tombstone
new_tombstones as (
    select
        identifier_type || ':' || identifier_value as tombstone_id,
        identifier_type,
        identifier_value,
        person_id,
        request_id,
        requested_at
    from computed
    where identifier_type || ':' || identifier_value not in (select stored.tombstone_id from stored)
),

final as (
    select
        tombstone_id,
        identifier_type,
        identifier_value,
        person_id,
        request_id,
        requested_at
    from stored
    union all
    select * from new_tombstones
)

select * from final
