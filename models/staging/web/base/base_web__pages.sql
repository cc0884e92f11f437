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
        {{ message_columns('id', 'page_view_id') }},
        {{ try_parse_timestamp(quote_identifier('timestamp')) }} as viewed_at,
        {{ strip_query_string('url') }} as page_url,
        {{ strip_query_string('path') }} as page_path,
        {{ strip_query_string('referrer') }} as referrer,
        {{ url_host('referrer') }} as referrer_host,
        {{ clean_text('title') }} as page_title,
        {{ device_type_from_user_agent('context_user_agent') }} as device_type,
        {{ landed_columns_prefixed('web', 'pages') }}

    from numbered

),

{{ web_checked_rows('base_web__pages', message_stream_checks(
    'page_view_id', 'viewed_at', ('missing_identity', 'anonymous_id is null and user_id is null'),
), raw_fields) }}
