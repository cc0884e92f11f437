{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **replace_partitions_config('dt')
    )
}}

{#- A table, unlike the other base models: this stream is the largest input, and the clean view, the
    quarantine view, their tests and the models reading them would otherwise each scan and de-duplicate
    the landing files again. Incremental by arrival partition, as base_events__events: the partitions from
    the first one whose landed rows changed are re-read and replaced whole; a key stored from an earlier
    partition makes its copy a duplicate. Only quarantined rows keep their raw_record. -#}
{#- the landed row, kept as JSON text on quarantined rows only -#}
{%- set raw_fields = landed_fields('web', 'pages', prefix='raw__') %}

with

{{ web_landed_copies('pages', 'page_view_id') }},

renamed as (

    select
        {{ record_bytes('numbered') }} as record_bytes,
        {{ clean_text('id') }} as page_view_id,
        {{ clean_text('anonymous_id') }} as anonymous_id,
        {{ clean_text('user_id') }} as user_id,
        {{ try_parse_timestamp(quote_identifier('timestamp')) }} as viewed_at,
        {{ try_parse_timestamp('received_at') }} as received_at,
        {{ strip_query_string('url') }} as page_url,
        {{ strip_query_string('path') }} as page_path,
        {{ strip_query_string('referrer') }} as referrer,
        {{ url_host('referrer') }} as referrer_host,
        {{ clean_text('title') }} as page_title,
        {{ device_type_from_user_agent('context_user_agent') }} as device_type,
        cast(dt as date) as dt,
        filename,
        file_row_number,
        copy_number,
        coalesce({{ clean_text('id') }} in (select stored_keys.stored_key from stored_keys), false)
            as is_stored_earlier,
        {{ landed_columns_prefixed('web', 'pages') }}

    from numbered

),

validated as (

    select
        *,
        {{ quarantine_reason([
            oversized_record_check(),
            ('missing_message_id', 'page_view_id is null'),
            ('duplicate_message_id', 'copy_number > 1 or is_stored_earlier'),
            ('missing_identity', 'anonymous_id is null and user_id is null'),
            ('invalid_timestamp', 'viewed_at is null or received_at is null'),
            implausible_timestamp_check(['viewed_at', 'received_at']),
            ('future_timestamp', 'viewed_at > ' ~ add_minutes('received_at', var('future_tolerance_minutes'))),
        ]) }} as quarantine_reason

    from renamed

),

-- each row with the fingerprint of the partition it was read from, stored to notice a re-delivery
fingerprinted as (

    {{ with_landing_fingerprint('validated') }}

),

final as (

    select
        page_view_id,
        anonymous_id,
        user_id,
        viewed_at,
        received_at,
        page_url,
        page_path,
        referrer,
        referrer_host,
        page_title,
        device_type,
        dt,
        filename,
        file_row_number,
        landing_fingerprint,
        quarantine_reason,
        -- the raw row as landed, on quarantined rows only (clean rows are most of the stream)
        {{ quarantined_raw_record(raw_fields) }} as raw_record

    from fingerprinted

)

select * from final
