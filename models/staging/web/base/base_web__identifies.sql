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
        {{ message_columns('id', 'identify_id') }},
        {{ pseudonymize(normalize_email('email')) }} as email_hash,
        {{ try_parse_timestamp(quote_identifier('timestamp')) }} as identified_at,
        {{ landed_columns_prefixed('web', 'identifies', except=['email']) }}

    from numbered

),

{{ web_checked_rows('base_web__identifies', message_stream_checks(
    'identify_id', 'identified_at', ('missing_user_id', 'user_id is null'),
), raw_fields) }}
