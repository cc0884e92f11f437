{#- The two CTEs (`user_persons`, `device_persons`) that give an event its person: each login (user_id) and
    each device (anonymous_id) with its person in the identity map `identifiers` (a CTE over
    int_identifiers_retained). The login outranks the device: a reader takes
    coalesce(user_persons.person_id, device_persons.person_id). int_events_identified and
    int_interactions_weighted both resolve with it, so an event's person is the same in both. Ends with a
    comma: the model's CTEs follow. -#}
{% macro event_persons_ctes(identifiers='identifiers') -%}
user_persons as (
    select
        identifier_value as user_id,
        person_id
    from {{ identifiers }}
    where
        identifier_type = 'user_id'
        and person_id is not null
),

device_persons as (
    select
        identifier_value as anonymous_id,
        person_id
    from {{ identifiers }}
    where
        identifier_type = 'anonymous_id'
        and person_id is not null
),
{%- endmacro %}
