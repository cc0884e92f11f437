{{ config(materialized='ephemeral') }}

with

source as (

    select * from {{ source('privacy', 'erasure_requests') }}

),

renamed as (

    select
        {{ record_bytes('source') }} as record_bytes,
        {{ clean_text('request_id') }} as request_id,
        lower({{ clean_text('identifier_type') }}) as identifier_type,
        {{ clean_text('identifier_value') }} as identifier_value,
        {{ try_parse_timestamp('requested_at') }} as requested_at,
        filename,
        file_row_number,
        {{ json_object_text(landed_fields('privacy', 'erasure_requests', {
            'identifier_value': pseudonymize('identifier_value'),
        })) }} as raw_record

    from source

),

final as (

    select
        request_id,
        identifier_type,
        {#- emails are only ever matched by their hash; ids stay as landed, as they are elsewhere -#}
        case
            when identifier_type = 'email' then {{ pseudonymize(normalize_email('identifier_value')) }}
            else identifier_value
        end as identifier_key,
        requested_at,
        raw_record,
        {{ quarantine_reason([
            oversized_record_check(),
            ('missing_request_id', 'request_id is null'),
            ('unknown_identifier_type', 'identifier_type is null or identifier_type not in '
                ~ sql_text_list(known_values('erasure_identifier_type'))),
            ('invalid_timestamp', 'requested_at is null'),
            implausible_timestamp_check(['requested_at']),
        ]) }} as quarantine_reason

    from renamed

)

select * from final
