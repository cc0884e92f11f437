with

consent_events as (
    select * from {{ ref('stg_privacy__consent_events') }}
),

-- blocked identifiers (placeholders, shared inboxes) belong to nobody
identifiers as (
    select * from {{ ref('int_identifiers_retained') }}
    where person_id is not null
),

{{ consent_interval_ctes() }}

select * from final
