{{ config(materialized='ephemeral') }}

with

source as (

    select * from {{ source('privacy', 'consent_events') }}

),

renamed as (

    select
        {{ clean_text('consent_event_id') }} as consent_event_id,
        {{ clean_text('anonymous_id') }} as anonymous_id,
        {{ clean_text('user_id') }} as user_id,
        lower({{ clean_text('purpose') }}) as purpose,
        lower({{ clean_text('status') }}) as consent_status,
        {{ clean_text('source') }} as consent_source,
        {{ try_parse_timestamp('occurred_at') }} as occurred_at,
        filename,
        file_row_number,
        {{ json_object_text([
            ('consent_event_id', 'consent_event_id'),
            ('anonymous_id', 'anonymous_id'),
            ('user_id', 'user_id'),
            ('purpose', 'purpose'),
            ('status', 'status'),
            ('source', 'source'),
            ('occurred_at', 'occurred_at'),
        ]) }} as raw_record

    from source

),

final as (

    select
        *,
        consent_status = 'granted' as is_granted,
        {{ quarantine_reason([
            ('missing_consent_event_id', 'consent_event_id is null'),
            ('missing_identity', 'anonymous_id is null and user_id is null'),
            ('unknown_purpose', 'purpose is null or purpose not in ' ~ sql_text_list(known_values('consent_purpose'))),
            ('invalid_status', 'consent_status is null or consent_status not in '
                ~ sql_text_list(known_values('consent_status'))),
            ('invalid_timestamp', 'occurred_at is null'),
        ]) }} as quarantine_reason

    from renamed

)

select * from final
