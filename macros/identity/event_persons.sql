{#- The two CTEs (`user_persons`, `device_persons`) that give an event its person: each login (user_id) and
    each device (anonymous_id) with its person in the identity map `identifiers` (a CTE over
    int_identifiers_retained), joined to an event by event_persons_joins. The login outranks the device
    (event_person_id, event_resolved_via). int_events_identified and int_interactions_weighted both resolve
    with them, so an event's person is the same in both. Ends with a comma: the model's CTEs follow. -#}
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



{#- The left joins of `events` (the alias of the event relation) to the CTEs of event_persons_ctes. -#}
{% macro event_persons_joins(events='events') -%}
    left join user_persons
        on {{ events }}.user_id = user_persons.user_id
    left join device_persons
        on {{ events }}.anonymous_id = device_persons.anonymous_id
{%- endmacro %}


{#- An event's person after event_persons_joins: the login's, else the device's; null when neither has one. -#}
{% macro event_person_id() -%}
    coalesce(user_persons.person_id, device_persons.person_id)
{%- endmacro %}


{#- Which identifier gave the event its person (event_person_id): 'user_id', 'anonymous_id', or null. -#}
{% macro event_resolved_via() -%}
    case
        when user_persons.person_id is not null then 'user_id'
        when device_persons.person_id is not null then 'anonymous_id'
    end
{%- endmacro %}
