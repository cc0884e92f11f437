{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='event_id',
        on_schema_change='fail',
        tags=['identifier_level'],
        post_hook=[
            "{{ delete_erased_rows(identifier_columns={'user_id': 'user_id', 'anonymous_id': 'anonymous_id'}) }}",
            "{{ delete_redelivered_rows(identified_landing_partitions('item_id is not null')) }}",
        ],
    )
}}

{#- The item events of int_events_unified in a form that does not change with the as-of date: no person (the
    reader maps the login or device to today's person), no decay to the as-of date (the reader applies it to
    the stored anchored_decay_factor), so a stored row stays right until its event changes. An incremental
    run writes again only the partitions int_events_unified re-read (the same lookback, moved back to a
    re-delivered or late-landed partition); the post-hooks drop what erasure or a re-delivery removed
    there, so the table equals a full refresh (tests/python/test_pipeline_incremental.py). -#}

with
{%- if is_incremental() %}

{{ reprocess_window_ctes(identified_landing_partitions('item_id is not null')) }}
{%- endif %}

events as (
    select * from {{ ref('int_events_unified') }}
    where
        item_id is not null
        {%- if is_incremental() %}
        and dt >= (select reprocess_window.reprocess_from_dt from reprocess_window)
        {%- endif %}
),

final as (
    select
        cast(event_id as string) as event_id,
        cast(event_source as string) as event_source,
        cast(event_type as string) as event_type,
        cast(item_id as string) as item_id,
        cast(user_id as string) as user_id,
        cast(anonymous_id as string) as anonymous_id,
        cast(occurred_at as timestamp) as occurred_at,
        cast(received_at as timestamp) as received_at,
        {{ anchored_decay_factor('occurred_at') }} as anchored_decay_factor,
        dt,
        landing_fingerprint
    from events
)

select * from final
