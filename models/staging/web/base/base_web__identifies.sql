{{ config(materialized='ephemeral') }}

with

source as {{ not_materialized() }} (

    select * from {{ source('web', 'identifies') }}

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
        {{ clean_text('id') }} as identify_id,
        {{ clean_text('anonymous_id') }} as anonymous_id,
        {{ clean_text('user_id') }} as user_id,
        {{ pseudonymize(normalize_email('email')) }} as email_hash,
        {{ try_parse_timestamp('"timestamp"') }} as identified_at,
        {{ try_parse_timestamp('received_at') }} as received_at,
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
            ('email', pseudonymize(normalize_email('email'))),
            ('context_user_agent', 'context_user_agent'),
        ]) }} as raw_record

    from numbered

),

final as (

    select
        *,
        {{ quarantine_reason([
            ('missing_message_id', 'identify_id is null'),
            ('duplicate_message_id', 'copy_number > 1'),
            ('missing_user_id', 'user_id is null'),
            ('invalid_timestamp', 'identified_at is null or received_at is null'),
            ('future_timestamp', 'identified_at > ' ~ add_minutes('received_at', var('future_tolerance_minutes'))),
        ]) }} as quarantine_reason

    from renamed

)

select * from final
