with

intervals as (
    select * from {{ ref('int_consent_intervals') }}
),

-- blocked identifiers (placeholders, shared inboxes) belong to nobody
identifiers as (
    select * from {{ ref('int_identifiers_retained') }}
    where person_id is not null
),

as_of as (
    select * from {{ ref('int_as_of_resolved') }}
),

-- what a person without any record of a purpose is assumed to have said (var consent_purposes_granted_by_default)
purposes as (
    {% for purpose in known_values('consent_purpose') -%}
    select
        '{{ purpose }}' as purpose,
        {{ 'true' if purpose in var('consent_purposes_granted_by_default') else 'false' }} as is_granted_by_default
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

persons as (
    select distinct person_id from identifiers
),

intervals_at_as_of as (
    select
        intervals.person_id,
        intervals.purpose,
        intervals.is_granted,
        intervals.valid_from,
        intervals.consent_source
    from intervals
    cross join as_of
    where
        intervals.valid_from <= as_of.as_of_at
        and (intervals.valid_to is null or intervals.valid_to > as_of.as_of_at)
),

final as (
    select
        {{ hash("persons.person_id || '|' || purposes.purpose") }} as consent_state_id,
        persons.person_id,
        purposes.purpose,
        coalesce(intervals_at_as_of.is_granted, purposes.is_granted_by_default) as is_granted,
        intervals_at_as_of.person_id is not null as has_consent_record,
        intervals_at_as_of.valid_from as state_since_at,
        intervals_at_as_of.consent_source,
        as_of.as_of_at
    from persons
    cross join purposes
    cross join as_of
    left join intervals_at_as_of
        on
            persons.person_id = intervals_at_as_of.person_id
            and purposes.purpose = intervals_at_as_of.purpose
)

select * from final
