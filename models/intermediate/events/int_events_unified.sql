{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='event_id',
        on_schema_change='fail',
        tags=['identifier_level'],
        post_hook=[
            "{{ delete_erased_rows(identifier_columns={'user_id': 'user_id', 'anonymous_id': 'anonymous_id'}) }}",
            "{{ delete_redelivered_rows(event_landing_partitions()) }}",
        ],
    )
}}

{#- Incremental runs re-read the landing partitions from the high-water mark minus the late-event lookback.
    DuckDB turns the scalar subquery into a filter on the hive `dt` column and skips the older `dt=`
    folders (the staging view must let the filter through for that; see the docs).
    No person is stored here: a later login can move an old device to another person, so the person is
    looked up at read time (int_events_identified) and this table never goes stale.
    A partition re-delivered or landed late before the lookback (its landing_fingerprint is not stored)
    moves the window back to it; the post-hook drops what a re-delivery no longer holds. -#}

with
{%- if is_incremental() %}

-- the first landing partition to re-read (everything when the table is still empty)
{{ reprocess_window_ctes(event_landing_partitions()) }}
{%- endif %}

events as {{ not_materialized() }} (
    select * from {{ ref('stg_events__events') }}
    {%- if is_incremental() %}
    where dt >= (select reprocess_window.reprocess_from_dt from reprocess_window)
    {%- endif %}
),

pages as {{ not_materialized() }} (
    select * from {{ ref('stg_web__pages') }}
    {%- if is_incremental() %}
    where dt >= (select reprocess_window.reprocess_from_dt from reprocess_window)
    {%- endif %}
),

tombstones as (
    select * from {{ ref('int_erasure_tombstones') }}
),

-- ids stored from partitions before the window: a later copy of one of them is a duplicate, not new data
stored_before_window as (
    {%- if is_incremental() %}
    select event_id from {{ this }}
    where dt < (select reprocess_window.reprocess_from_dt from reprocess_window)
    {%- else %}
    select cast(null as string) as event_id
    where false
    {%- endif %}
),

behavioral_events as (
    select
        event_id,
        'event' as event_source,
        event_type,
        anonymous_id,
        user_id,
        event_at as occurred_at,
        received_at,
        dt,
        item_id,
        scroll_percent,
        video_seconds,
        search_query,
        feature_name,
        rec_slot,
        cast(null as string) as page_path,
        cast(null as string) as referrer,
        cast(null as string) as referrer_host,
        cast(null as string) as device_type,
        landing_fingerprint
    from events
),

page_views as (
    select
        page_view_id as event_id,
        'page' as event_source,
        'page_view' as event_type,
        anonymous_id,
        user_id,
        viewed_at as occurred_at,
        received_at,
        dt,
        cast(null as string) as item_id,
        cast(null as double) as scroll_percent,
        cast(null as double) as video_seconds,
        cast(null as string) as search_query,
        cast(null as string) as feature_name,
        cast(null as integer) as rec_slot,
        page_path,
        referrer,
        referrer_host,
        device_type,
        landing_fingerprint
    from pages
),

unioned as {{ not_materialized() }} (
    select * from behavioral_events
    union all
    select * from page_views
),

-- the first copy of an id (earliest received) wins, as in staging: a resent event is counted once;
-- events of erased persons are never stored (and the post-hook deletes those stored before the request).
-- Staging already dropped repeated ids within each stream, so only the rare ids repeated across streams
-- go through the window (number_copies).
ranked_copies as (
    {{ number_copies('unioned', 'event_id', 'received_at, dt, event_source') }}
),

first_copies as (
    select ranked_copies.*
    from ranked_copies
    left join stored_before_window
        on ranked_copies.event_id = stored_before_window.event_id
    where
        ranked_copies.copy_number = 1
        and stored_before_window.event_id is null
        and not {{ is_tombstoned('ranked_copies.user_id', 'user_id') }}
        and not {{ is_tombstoned('ranked_copies.anonymous_id', 'anonymous_id') }}
),

final as (
    select
        cast(event_id as string) as event_id,
        cast(event_source as string) as event_source,
        cast(event_type as string) as event_type,
        cast(anonymous_id as string) as anonymous_id,
        cast(user_id as string) as user_id,
        cast(occurred_at as timestamp) as occurred_at,
        cast(received_at as timestamp) as received_at,
        cast(dt as date) as dt,
        cast(item_id as string) as item_id,
        cast(scroll_percent as double) as scroll_percent,
        cast(video_seconds as double) as video_seconds,
        cast(search_query as string) as search_query,
        cast(feature_name as string) as feature_name,
        cast(rec_slot as integer) as rec_slot,
        cast(page_path as string) as page_path,
        cast(referrer as string) as referrer,
        cast(referrer_host as string) as referrer_host,
        cast(device_type as string) as device_type,
        cast(landing_fingerprint as string) as landing_fingerprint
    from first_copies
)

select * from final
