{{ config(tags=['erasure_input']) }}

{#- The identity graph as rows: identifiers seen together on one record become an edge from the record's
    strongest identifier (user_id > email_hash > crm_contact_id > anonymous_id) to each other one; an
    identifier seen with nothing else becomes a node row, so everyone gets a person. Blocklisted values
    (placeholder ids, shared test inboxes) never form an edge: they stay as flagged node rows for audit.
    Each row says when it first happened (first_seen_at) and when the project first had a record showing it
    (first_known_at: received_at for the streams; for the snapshot extracts, which carry no arrival time, the
    record's own time or, when a later extract first brought it, that build's as-of instant:
    int_extract_versions_arrived), so the map as known at an instant does not move when a late row lands. -#}
with

identifies as (
    select * from {{ ref('stg_web__identifies') }}
),

pages as (
    select * from {{ ref('stg_web__pages') }}
),

events as (
    select * from {{ ref('stg_events__events') }}
),

orders as (
    select * from {{ ref('stg_commerce__orders') }}
),

contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

tickets as (
    select * from {{ ref('stg_support__tickets') }}
),

consent_events as (
    select * from {{ ref('stg_privacy__consent_events') }}
),

assignments as (
    select * from {{ ref('stg_experiments__assignments') }}
),

-- when the project first had each snapshot record: its first_known_at is not before that
order_arrivals as (
    {{ arrived_records('commerce.orders') }}
),

contact_arrivals as (
    {{ arrived_records('crm.contacts') }}
),

ticket_arrivals as (
    {{ arrived_records('support.tickets') }}
),

consent_arrivals as (
    {{ arrived_records('privacy.consent_events') }}
),

assignment_arrivals as (
    {{ arrived_records('experiments.assignments') }}
),

blocklist as (
    select * from {{ ref('identity_blocklist') }}
),

-- emails are listed raw in the seed and hashed here exactly as staging hashes them
blocked_values as (
    select
        case when identifier_type = 'email' then 'email_hash' else identifier_type end as identifier_type,
        case
            when identifier_type = 'email' then {{ pseudonymize(normalize_email('identifier_value')) }}
            else lower(trim(identifier_value))
        end as blocked_value
    from blocklist
),

-- one row per source and distinct combination of identifiers seen together on one record
observations as (
    select
        'web.identifies' as edge_source,
        user_id,
        email_hash,
        cast(null as string) as crm_contact_id,
        anonymous_id,
        min(identified_at) as first_seen_at,
        min(received_at) as first_known_at,
        max(identified_at) as last_seen_at,
        count(*) as n_observations
    from identifies
    group by user_id, email_hash, anonymous_id

    union all

    select
        'web.pages' as edge_source,
        user_id,
        cast(null as string) as email_hash,
        cast(null as string) as crm_contact_id,
        anonymous_id,
        min(viewed_at) as first_seen_at,
        min(received_at) as first_known_at,
        max(viewed_at) as last_seen_at,
        count(*) as n_observations
    from pages
    group by user_id, anonymous_id

    union all

    select
        'events.events' as edge_source,
        user_id,
        cast(null as string) as email_hash,
        cast(null as string) as crm_contact_id,
        anonymous_id,
        min(event_at) as first_seen_at,
        min(received_at) as first_known_at,
        max(event_at) as last_seen_at,
        count(*) as n_observations
    from events
    group by user_id, anonymous_id

    union all

    select
        'commerce.orders' as edge_source,
        orders.customer_id as user_id,
        orders.email_hash,
        cast(null as string) as crm_contact_id,
        cast(null as string) as anonymous_id,
        min(orders.ordered_at) as first_seen_at,
        min({{ known_at('orders.ordered_at', 'order_arrivals.arrived_at') }}) as first_known_at,
        max(orders.ordered_at) as last_seen_at,
        count(*) as n_observations
    from orders
    left join order_arrivals
        on orders.order_id = order_arrivals.record_id
    group by orders.customer_id, orders.email_hash

    union all

    select
        'crm.contacts' as edge_source,
        cast(null as string) as user_id,
        contacts.email_hash,
        contacts.contact_id as crm_contact_id,
        cast(null as string) as anonymous_id,
        min(contacts.created_at) as first_seen_at,
        min({{ known_at('contacts.created_at', 'contact_arrivals.arrived_at') }}) as first_known_at,
        max(coalesce(contacts.updated_at, contacts.created_at)) as last_seen_at,
        count(*) as n_observations
    from contacts
    left join contact_arrivals
        on contacts.contact_id = contact_arrivals.record_id
    group by contacts.email_hash, contacts.contact_id

    union all

    select
        'support.tickets' as edge_source,
        cast(null as string) as user_id,
        tickets.email_hash,
        cast(null as string) as crm_contact_id,
        cast(null as string) as anonymous_id,
        min(tickets.created_at) as first_seen_at,
        min({{ known_at('tickets.created_at', 'ticket_arrivals.arrived_at') }}) as first_known_at,
        max(tickets.created_at) as last_seen_at,
        count(*) as n_observations
    from tickets
    left join ticket_arrivals
        on tickets.ticket_id = ticket_arrivals.record_id
    group by tickets.email_hash

    union all

    select
        'privacy.consent_events' as edge_source,
        consent_events.user_id,
        cast(null as string) as email_hash,
        cast(null as string) as crm_contact_id,
        consent_events.anonymous_id,
        min(consent_events.occurred_at) as first_seen_at,
        min({{ known_at('consent_events.occurred_at', 'consent_arrivals.arrived_at') }}) as first_known_at,
        max(consent_events.occurred_at) as last_seen_at,
        count(*) as n_observations
    from consent_events
    left join consent_arrivals
        on consent_events.consent_event_id = consent_arrivals.record_id
    group by consent_events.user_id, consent_events.anonymous_id

    union all

    select
        'experiments.assignments' as edge_source,
        case when assignments.unit_type = 'user_id' then assignments.unit_id end as user_id,
        cast(null as string) as email_hash,
        cast(null as string) as crm_contact_id,
        case when assignments.unit_type = 'anonymous_id' then assignments.unit_id end as anonymous_id,
        min(assignments.assigned_at) as first_seen_at,
        min({{ known_at('assignments.assigned_at', 'assignment_arrivals.arrived_at') }}) as first_known_at,
        max(assignments.assigned_at) as last_seen_at,
        count(*) as n_observations
    from assignments
    left join assignment_arrivals
        on assignments.assignment_id = assignment_arrivals.record_id
    group by assignments.unit_type, assignments.unit_id
),

flagged as (
    select
        *,
        coalesce(lower(trim(user_id)) in (
            select blocked_values.blocked_value from blocked_values
            where blocked_values.identifier_type = 'user_id'
        ), false) as is_user_id_blocked,
        coalesce(email_hash in (
            select blocked_values.blocked_value from blocked_values
            where blocked_values.identifier_type = 'email_hash'
        ), false) as is_email_hash_blocked,
        coalesce(lower(trim(crm_contact_id)) in (
            select blocked_values.blocked_value from blocked_values
            where blocked_values.identifier_type = 'crm_contact_id'
        ), false) as is_crm_contact_id_blocked,
        coalesce(lower(trim(anonymous_id)) in (
            select blocked_values.blocked_value from blocked_values
            where blocked_values.identifier_type = 'anonymous_id'
        ), false) as is_anonymous_id_blocked
    from observations
),

-- blank values are no identifier at all; blocked ones are set aside
cleaned as (
    select
        edge_source,
        first_seen_at,
        first_known_at,
        last_seen_at,
        n_observations,
        is_user_id_blocked,
        is_email_hash_blocked,
        is_crm_contact_id_blocked,
        is_anonymous_id_blocked,
        user_id as raw_user_id,
        email_hash as raw_email_hash,
        crm_contact_id as raw_crm_contact_id,
        anonymous_id as raw_anonymous_id,
        case when not is_user_id_blocked then nullif(trim(user_id), '') end as user_id,
        case when not is_email_hash_blocked then nullif(trim(email_hash), '') end as email_hash,
        case when not is_crm_contact_id_blocked then nullif(trim(crm_contact_id), '') end as crm_contact_id,
        case when not is_anonymous_id_blocked then nullif(trim(anonymous_id), '') end as anonymous_id
    from flagged
),

anchored as (
    select
        *,
        (case when user_id is not null then 1 else 0 end)
        + (case when email_hash is not null then 1 else 0 end)
        + (case when crm_contact_id is not null then 1 else 0 end)
        + (case when anonymous_id is not null then 1 else 0 end) as n_identifiers
    from cleaned
),

-- a star from each record's strongest identifier to the others
links as (
    select
        edge_source,
        'user_id' as left_type,
        user_id as left_value,
        'email_hash' as right_type,
        email_hash as right_value,
        false as is_blocked,
        first_seen_at,
        first_known_at,
        last_seen_at,
        n_observations
    from anchored
    where user_id is not null and email_hash is not null

    union all

    select
        edge_source,
        case when user_id is not null then 'user_id' else 'email_hash' end as left_type,
        coalesce(user_id, email_hash) as left_value,
        'crm_contact_id' as right_type,
        crm_contact_id as right_value,
        false as is_blocked,
        first_seen_at,
        first_known_at,
        last_seen_at,
        n_observations
    from anchored
    where crm_contact_id is not null and coalesce(user_id, email_hash) is not null

    union all

    select
        edge_source,
        case
            when user_id is not null then 'user_id'
            when email_hash is not null then 'email_hash'
            else 'crm_contact_id'
        end as left_type,
        coalesce(user_id, email_hash, crm_contact_id) as left_value,
        'anonymous_id' as right_type,
        anonymous_id as right_value,
        false as is_blocked,
        first_seen_at,
        first_known_at,
        last_seen_at,
        n_observations
    from anchored
    where anonymous_id is not null and coalesce(user_id, email_hash, crm_contact_id) is not null
),

lone_identifiers as (
    select
        edge_source,
        case
            when user_id is not null then 'user_id'
            when email_hash is not null then 'email_hash'
            when crm_contact_id is not null then 'crm_contact_id'
            else 'anonymous_id'
        end as left_type,
        coalesce(user_id, email_hash, crm_contact_id, anonymous_id) as left_value,
        cast(null as string) as right_type,
        cast(null as string) as right_value,
        false as is_blocked,
        first_seen_at,
        first_known_at,
        last_seen_at,
        n_observations
    from anchored
    where n_identifiers = 1
),

blocked_identifiers as (
    select
        edge_source,
        'user_id' as left_type,
        raw_user_id as left_value,
        cast(null as string) as right_type,
        cast(null as string) as right_value,
        true as is_blocked,
        first_seen_at,
        first_known_at,
        last_seen_at,
        n_observations
    from anchored
    where is_user_id_blocked

    union all

    select
        edge_source,
        'email_hash' as left_type,
        raw_email_hash as left_value,
        cast(null as string) as right_type,
        cast(null as string) as right_value,
        true as is_blocked,
        first_seen_at,
        first_known_at,
        last_seen_at,
        n_observations
    from anchored
    where is_email_hash_blocked

    union all

    select
        edge_source,
        'crm_contact_id' as left_type,
        raw_crm_contact_id as left_value,
        cast(null as string) as right_type,
        cast(null as string) as right_value,
        true as is_blocked,
        first_seen_at,
        first_known_at,
        last_seen_at,
        n_observations
    from anchored
    where is_crm_contact_id_blocked

    union all

    select
        edge_source,
        'anonymous_id' as left_type,
        raw_anonymous_id as left_value,
        cast(null as string) as right_type,
        cast(null as string) as right_value,
        true as is_blocked,
        first_seen_at,
        first_known_at,
        last_seen_at,
        n_observations
    from anchored
    where is_anonymous_id_blocked
),

all_rows as (
    select * from links
    union all
    select * from lone_identifiers
    union all
    select * from blocked_identifiers
),

final as (
    select
        edge_source,
        left_type,
        left_value,
        right_type,
        right_value,
        is_blocked,
        min(first_seen_at) as first_seen_at,
        min(first_known_at) as first_known_at,
        max(last_seen_at) as last_seen_at,
        cast(sum(n_observations) as bigint) as n_observations
    from all_rows
    group by edge_source, left_type, left_value, right_type, right_value, is_blocked
)

select * from final
