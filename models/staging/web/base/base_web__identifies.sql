{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **replace_partitions_config('dt')
    )
}}

{#- A table, as base_web__pages: this stream lands as many small files (one per sink flush, 3,600 at
    scale l), and as an ephemeral model the clean view, the quarantine view, their ten tests and the
    models reading them each opened and de-duplicated every file again (80 s of tests at l). Incremental
    by arrival partition, as base_web__pages: the partitions from the first one whose landed rows changed
    are re-read and replaced whole; a key stored from an earlier partition makes its copy a duplicate.
    Only quarantined rows keep their raw_record; its email is the pseudonymized one. -#}
{%- set raw_fields = landed_fields('web', 'identifies', {'email': 'email_hash'}, prefix='raw__') %}

with

{{ web_landed_copies('identifies', 'identify_id') }},

renamed as (

    select
        {{ record_bytes('numbered') }} as record_bytes,
        {{ clean_text('id') }} as identify_id,
        {{ clean_text('anonymous_id') }} as anonymous_id,
        {{ clean_text('user_id') }} as user_id,
        {{ pseudonymize(normalize_email('email')) }} as email_hash,
        {{ try_parse_timestamp(quote_identifier('timestamp')) }} as identified_at,
        {{ try_parse_timestamp('received_at') }} as received_at,
        cast(dt as date) as dt,
        filename,
        file_row_number,
        copy_number,
        coalesce({{ clean_text('id') }} in (select stored_keys.stored_key from stored_keys), false)
            as is_stored_earlier,
        {{ landed_columns_prefixed('web', 'identifies', except=['email']) }}

    from numbered

),

validated as (

    select
        *,
        {{ quarantine_reason([
            oversized_record_check(),
            ('missing_message_id', 'identify_id is null'),
            ('duplicate_message_id', 'copy_number > 1 or is_stored_earlier'),
            ('missing_user_id', 'user_id is null'),
            ('invalid_timestamp', 'identified_at is null or received_at is null'),
            implausible_timestamp_check(['identified_at', 'received_at']),
            ('future_timestamp', 'identified_at > ' ~ add_minutes('received_at', var('future_tolerance_minutes'))),
        ]) }} as quarantine_reason

    from renamed

),

-- each row with the fingerprint of the partition it was read from, stored to notice a re-delivery
fingerprinted as (

    {{ with_landing_fingerprint('validated') }}

),

final as (

    select
        identify_id,
        anonymous_id,
        user_id,
        email_hash,
        identified_at,
        received_at,
        dt,
        filename,
        file_row_number,
        landing_fingerprint,
        quarantine_reason,
        -- the row as landed (email pseudonymized), on quarantined rows only
        {{ quarantined_raw_record(raw_fields) }} as raw_record

    from fingerprinted

)

select * from final
