{{ config(materialized='table') }}

{#- A table, unlike the other small base models: the clean view, the quarantine view, their ten tests and
    the consent models each validated every landed consent row again (3M rows at scale l, about 3 s per
    reader). One full rebuild per run instead; the rows carry ids and consent choices, no personal data
    beyond the pseudonymous ids every staging model holds. Only quarantined rows keep their raw_record. -#}
{%- set raw_fields = landed_fields('privacy', 'consent_events', prefix='raw__') %}

with

-- the landed values under their own names: the cleaned columns below reuse the landed names
source as (

    select
        *,
        {{ landed_columns_prefixed('privacy', 'consent_events') }}

    from {{ source('privacy', 'consent_events') }}

),

renamed as (

    select
        {{ record_bytes('source') }} as record_bytes,
        {{ clean_text('consent_event_id') }} as consent_event_id,
        {{ clean_text('anonymous_id') }} as anonymous_id,
        {{ clean_text('user_id') }} as user_id,
        lower({{ clean_text('purpose') }}) as purpose,
        lower({{ clean_text('status') }}) as consent_status,
        {{ clean_text('source') }} as consent_source,
        {{ try_parse_timestamp('occurred_at') }} as occurred_at,
        filename,
        file_row_number,
        raw__consent_event_id,
        raw__anonymous_id,
        raw__user_id,
        raw__purpose,
        raw__status,
        raw__source,
        raw__occurred_at

    from source

),

validated as (

    select
        *,
        consent_status = 'granted' as is_granted,
        {{ quarantine_reason([
            oversized_record_check(),
            ('missing_consent_event_id', 'consent_event_id is null'),
            ('missing_identity', 'anonymous_id is null and user_id is null'),
            ('unknown_purpose', 'purpose is null or purpose not in ' ~ sql_text_list(known_values('consent_purpose'))),
            ('invalid_status', 'consent_status is null or consent_status not in '
                ~ sql_text_list(known_values('consent_status'))),
            ('invalid_timestamp', 'occurred_at is null'),
            implausible_timestamp_check(['occurred_at']),
        ]) }} as quarantine_reason

    from renamed

),

final as (

    select
        consent_event_id,
        anonymous_id,
        user_id,
        purpose,
        consent_status,
        consent_source,
        occurred_at,
        filename,
        file_row_number,
        is_granted,
        quarantine_reason,
        -- the row as landed, on quarantined rows only
        {{ quarantined_raw_record(raw_fields) }} as raw_record

    from validated

)

select * from final
