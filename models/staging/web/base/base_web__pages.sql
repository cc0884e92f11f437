{{ config(materialized='table') }}

{#- A table, unlike the other base models: this stream is the largest input, and the clean view, the
    quarantine view, their tests and the models reading them would otherwise each scan and de-duplicate
    the landing files again. Only quarantined rows keep their raw_record. -#}

with

source as {{ not_materialized() }} (

    select * from {{ source('web', 'pages') }}

),

numbered as (

    {#- copy_number > 1: a later copy of a key already landed -#}
    {{ number_copies(
        'source',
        clean_text('id'),
        try_parse_timestamp('received_at') ~ ' nulls last, ' ~ landing_row_order('web', 'source'),
    ) }}

),

renamed as (

    select
        {{ clean_text('id') }} as page_view_id,
        {{ clean_text('anonymous_id') }} as anonymous_id,
        {{ clean_text('user_id') }} as user_id,
        {{ try_parse_timestamp('"timestamp"') }} as viewed_at,
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
        {{ json_object_text([
            ('id', 'id'),
            ('anonymous_id', 'anonymous_id'),
            ('user_id', 'user_id'),
            ('timestamp', '"timestamp"'),
            ('received_at', 'received_at'),
            ('url', 'url'),
            ('path', 'path'),
            ('referrer', 'referrer'),
            ('title', 'title'),
            ('context_user_agent', 'context_user_agent'),
        ]) }} as raw_record

    from numbered

),

validated as (

    select
        *,
        {{ quarantine_reason([
            ('missing_message_id', 'page_view_id is null'),
            ('duplicate_message_id', 'copy_number > 1'),
            ('missing_identity', 'anonymous_id is null and user_id is null'),
            ('invalid_timestamp', 'viewed_at is null or received_at is null'),
            ('future_timestamp', 'viewed_at > ' ~ add_minutes('received_at', var('future_tolerance_minutes'))),
        ]) }} as quarantine_reason

    from renamed

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
        copy_number,
        quarantine_reason,
        case when quarantine_reason is not null then raw_record end as raw_record

    from validated

)

select * from final
