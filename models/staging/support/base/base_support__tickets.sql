{{ config(materialized='ephemeral') }}

with

{{ landed_copies('support', 'tickets', clean_text('ticket_id')) }},

renamed as (

    select
        {{ record_bytes('numbered') }} as record_bytes,
        {{ clean_text('ticket_id') }} as ticket_id,
        {{ normalize_email('customer_email') }} as email_normalized,
        {{ pseudonymize(normalize_email('customer_email')) }} as email_hash,
        lower({{ clean_text('channel') }}) as channel,
        {{ try_parse_timestamp('created_at') }} as created_at,
        {{ redact_pii_text(clean_text('subject')) }} as subject,
        {{ redact_pii_text(clean_text('body')) }} as body,
        filename,
        file_row_number,
        copy_number,
        {{ json_object_text(landed_fields('support', 'tickets', {
            'customer_email': pseudonymize(normalize_email('customer_email')),
            'subject': redact_pii_text('subject'),
            'body': redact_pii_text('body'),
        })) }} as raw_record

    from numbered

),

final as (

    select
        *,
        {{ quarantine_reason([
            oversized_record_check(),
            ('missing_ticket_id', 'ticket_id is null'),
            ('duplicate_ticket_id', 'copy_number > 1'),
            ('malformed_email', 'email_normalized is not null and not ' ~ is_valid_email('email_normalized')),
            ('empty_body', 'body is null'),
            ('invalid_timestamp', 'created_at is null'),
            implausible_timestamp_check(['created_at']),
        ]) }} as quarantine_reason

    from renamed

)

select * from final
