{#- Incremental base models over a stream landed in arrival-date folders (`dt=YYYY-MM-DD/`).

    `landing_reprocess_window(landed, also_changed)` renders the CTEs that find the first partition an
    incremental run must (re)read, ending in `reprocess_window` (one row, `reprocess_from_dt`). A partition
    is read again when its files changed: its landing fingerprint (landing_fingerprints: every file's name,
    size and modification time) differs from the one stored with its rows, or its landed row count differs
    from the rows stored for it. That catches a new partition, a file that landed late in an old one, a
    partition rewritten to remove an erased person, and a corrected re-delivery with the same row count.
    `also_changed` lists extra queries returning `partition_value` rows to read again (a quarantine that a
    later load of a dimension can lift). Nothing changed: the window starts after every landed partition
    and the run reads nothing. A partition deleted outright is not detected; the model's
    raw_rows_reconciled test fails then, and a --full-refresh rebuilds it.

    Counting rows per partition reads only the files' footers; the fingerprint reads only the directory
    listing. Call it under is_incremental() only. -#}
{% macro landing_reprocess_window(landed, also_changed=[]) -%}
stored_partitions as (
    select
        dt as partition_value,
        count(*) as row_count,
        min(landing_fingerprint) as landing_fingerprint
    from {{ this }}
    group by dt
),

landed_partitions as (
    select
        cast(dt as date) as partition_value,
        count(*) as row_count
    from {{ landed }}
    group by cast(dt as date)
),

changed_partitions as (
    select landed_partitions.partition_value
    from landed_partitions
    left join stored_partitions
        on landed_partitions.partition_value = stored_partitions.partition_value
    left join landing_fingerprints
        on landed_partitions.partition_value = landing_fingerprints.partition_value
    where
        stored_partitions.row_count is null
        or stored_partitions.row_count != landed_partitions.row_count
        or stored_partitions.landing_fingerprint is distinct from landing_fingerprints.landing_fingerprint
    {%- for query in also_changed %}
    union all
    {{ query }}
    {%- endfor %}
),

reprocess_window as (
    select coalesce(min(partition_value), cast('9999-12-31' as date)) as reprocess_from_dt
    from changed_partitions
)
{%- endmacro %}


{#- The CTEs an incremental base model reads its landed rows through, after a `not materialized` CTE over
    the source: `landing_fingerprints` (one row per landed partition, `partition_value` and
    `landing_fingerprint`, which the model joins to its final rows by `dt` and stores), `landed` (every
    partition on a full build, the partitions from `reprocess_window` on otherwise) and `stored_keys` (`stored_key`: the keys stored from the partitions before the window, so a
    copy of one of them in the window is a later copy; none on a full build). `key_column` names the key in
    the model's own table. -#}
{% macro incremental_landing(source, key_column, landing_table, also_changed=[]) -%}
landing_fingerprints as (

    {{ landing_fingerprints(landing_table[0], landing_table[1]) }}

),

{% if is_incremental() -%}
{{ landing_reprocess_window(source, also_changed) }},

{% endif -%}
landed as {{ not_materialized() }} (

    select * from {{ source }}
    {%- if is_incremental() %}
    where dt >= (select reprocess_window.reprocess_from_dt from reprocess_window)
    {%- endif %}

),

stored_keys as (

    {%- if is_incremental() %}
    select {{ key_column }} as stored_key
    from {{ this }}
    where
        dt < (select reprocess_window.reprocess_from_dt from reprocess_window)
        and {{ key_column }} is not null
    {%- else %}
    select cast(null as string) as stored_key
    where false
    {%- endif %}

)
{%- endmacro %}


{#- The rows of `landed` (incremental_landing) with copy_number: 1 for the first copy of a message id in
    the window, by arrival date, then received_at, then landing order; copy_number > 1 is a later copy of
    a key already landed in the window. For the message streams (events, web). -#}
{% macro number_landed_copies(source_name, id_column) -%}
    {{ number_copies(
        'landed',
        clean_text(id_column),
        'dt, ' ~ try_parse_timestamp('received_at') ~ ' nulls last, ' ~ landing_row_order(source_name, 'landed'),
    ) }}
{%- endmacro %}

{#- The head of a web base table (base_web__pages, base_web__identifies): the CTEs from the landed
    source through `numbered`, its rows of the incremental window with copy_number (1 for the first copy
    of a message id, by arrival date, then received_at, then landing order), after `stored_keys`
    (incremental_landing). The model goes on from `numbered` with its own `renamed` CTE. -#}
{% macro web_landed_copies(table_name, key_column) -%}
source as {{ not_materialized() }} (

    select * from {{ source('web', table_name) }}

),
{{ incremental_landing('source', key_column, landing_table=['web', table_name]) }},

numbered as (

    {{ number_landed_copies('web', 'id') }}

)
{%- endmacro %}

{#- The first arrival date an incremental event model reads again: `late_event_lookback_days` before the
    high-water mark it stores (`high_water_mark`: an aggregate such as `max(dt)` over its own table), or
    every date when the table is empty. -#}
{% macro late_event_reprocess_from(high_water_mark) -%}
    {%- set lookback_minutes = (var('late_event_lookback_days') | int) * 24 * 60 -%}
    coalesce(cast({{ add_minutes(high_water_mark, -lookback_minutes) }} as date), cast('0001-01-01' as date))
{%- endmacro %}


{#- The rows of `relation` (a CTE of an incremental base model, with a `dt` date column) with their
    partition's `landing_fingerprint` from the `landing_fingerprints` CTE that incremental_landing renders. -#}
{% macro with_landing_fingerprint(relation) -%}
    select
        {{ relation }}.*,
        landing_fingerprints.landing_fingerprint
    from {{ relation }}
    left join landing_fingerprints
        on {{ relation }}.dt = landing_fingerprints.partition_value
{%- endmacro %}


{#- One row per landed partition of a landing table (`partition_value`, `landing_fingerprint`), dispatched
    by engine. DuckDB: an md5 over the name, size and modification time of every file in the partition's
    folder, from the directory listing only (read_blob without its content column), never the files; a
    re-delivered file changes it even when the row count stays the same. File names are taken from their
    partition folder on, so moving the whole landing area does not change a fingerprint. An engine without
    an implementation returns no rows: every fingerprint is then null and a partition is re-read on a
    changed row count only. -#}
{% macro landing_fingerprints(source_name, table_name) -%}
    {{- return(adapter.dispatch('landing_fingerprints')(source_name, table_name)) -}}
{%- endmacro %}

{% macro default__landing_fingerprints(source_name, table_name) -%}
    select
        cast(null as date) as partition_value,
        cast(null as string) as landing_fingerprint
    where false
{%- endmacro %}

{% macro duckdb__landing_fingerprints(source_name, table_name) -%}
    select
        cast(regexp_extract(filename, 'dt=([0-9]{4}-[0-9]{2}-[0-9]{2})', 1) as date) as partition_value,
        md5(string_agg(
            regexp_extract(filename, '(dt=[^/\\]+[/\\].*)$', 1)
            || '|' || cast(size as varchar)
            || '|' || cast(epoch_ms(last_modified) as varchar),
            ';' order by filename
        )) as landing_fingerprint
    {#- the graph that landing_files reads is there only at execution, not while parsing #}
    from read_blob('{{ landing_files(source_name, table_name) if execute else "" }}')
    group by 1
{%- endmacro %}


{#- Spark: the same fingerprint from the Parquet reader's file metadata (`_metadata`: path from the partition
    folder on, size, modification time), one entry per file, sorted; the rows themselves are not read. -#}
{% macro spark__landing_fingerprints(source_name, table_name) -%}
    {%- set folder = landing_files(source_name, table_name).split('/dt=')[0] if execute else '' -%}
    select
        cast(dt as date) as partition_value,
        md5(concat_ws(';', sort_array(collect_set(concat_ws(
            '|',
            regexp_extract(_metadata.file_path, {{ spark_string_literal('(dt=[^/]+/.*)$') }}, 1),
            cast(_metadata.file_size as string),
            cast(unix_millis(_metadata.file_modification_time) as string)
        ))))) as landing_fingerprint
    from parquet.`{{ folder }}`
    group by 1
{%- endmacro %}


{#- Event-grain models downstream of the base models carry each row's `landing_fingerprint`, so they notice a
    re-delivered partition older than their late-event lookback. `landing_partitions_sql` is a query over
    the current upstream returning `event_source, dt, landing_fingerprint` (distinct); `first_changed_partition`
    renders a scalar query: the earliest `dt` of those partitions that the model's table does not store with
    that fingerprint (a re-delivered or late-landed partition; null when none). -#}
{% macro first_changed_partition(landing_partitions_sql) -%}
    (
        select min(changed_partitions.dt)
        from (
            select
                event_source,
                dt,
                landing_fingerprint
            from ({{ landing_partitions_sql }}) as current_partitions
            except
            select
                event_source,
                dt,
                landing_fingerprint
            from {{ this }}
        ) as changed_partitions
    )
{%- endmacro %}


{#- Post-hook of those models: deletes the stored rows whose partition's landing changed and that the run did
    not write again (an event a corrected re-delivery no longer holds). A row the run wrote carries the
    partition's current fingerprint; a row left from before carries the old one. -#}
{% macro delete_redelivered_rows(landing_partitions_sql) -%}
    {%- set redelivered -%}
    not exists (
        select 1
        from ({{ landing_partitions_sql }}) as current_partitions
        where
            stored.dt = current_partitions.dt
            and stored.event_source = current_partitions.event_source
            and stored.landing_fingerprint = current_partitions.landing_fingerprint
    )
    {%- endset -%}
    {{ delete_rows_where(this, redelivered, 'stored') }}
{%- endmacro %}


{#- The landing partitions of both clean event streams (`event_source`, `dt`, `landing_fingerprint`), as
    int_events_unified stores them and int_events_identified copies them. -#}
{% macro event_landing_partitions() -%}
    select distinct
        'event' as event_source,
        dt,
        landing_fingerprint
    from {{ ref('stg_events__events') }}
    union all
    select distinct
        'page' as event_source,
        dt,
        landing_fingerprint
    from {{ ref('stg_web__pages') }}
{%- endmacro %}


{#- The landing partitions a model copies from int_events_unified: all of them (int_events_identified), or
    those holding a row that matches `condition` (int_item_events_anchored: item events; a partition without
    one stores no row there, and would otherwise look changed on every run). -#}
{% macro identified_landing_partitions(condition='true') -%}
    select distinct
        event_source,
        dt,
        landing_fingerprint
    from {{ ref('int_events_unified') }}
    where {{ condition }}
{%- endmacro %}


{#- The columns every message stream (events, web pages, web identifies) cleans alike from `numbered`
    (number_landed_copies): record_bytes, the message id `id_column` cleaned as `key_column`, anonymous_id,
    user_id, received_at, the arrival date dt, the landing lineage (filename, file_row_number, copy_number)
    and is_stored_earlier (the key is stored from a partition before the incremental window). The model's
    `renamed` CTE selects them first, then its own columns. -#}
{% macro message_columns(id_column, key_column) -%}
        {{ record_bytes('numbered', scalar_columns=true) }} as record_bytes,
        {{ clean_text(id_column) }} as {{ key_column }},
        {{ clean_text('anonymous_id') }} as anonymous_id,
        {{ clean_text('user_id') }} as user_id,
        {{ try_parse_timestamp('received_at') }} as received_at,
        cast(dt as date) as dt,
        filename,
        file_row_number,
        copy_number,
        coalesce({{ clean_text(id_column) }} in (select stored_keys.stored_key from stored_keys), false)
            as is_stored_earlier
{%- endmacro %}

{#- The checks every message stream (events, web pages, web identifies) runs first, in this order, before
    its own: an oversized record, a missing or repeated message id (`key_reason` names it in the reason:
    missing_<key_reason>, duplicate_<key_reason>), `identity_check` (a (reason, condition) pair: which
    identity the stream needs), then the timestamps: `at_column` (when the message happened) and
    received_at parsed, plausible, and the message not later than its receipt plus
    var('future_tolerance_minutes'). Reads the model's copy_number and is_stored_earlier. -#}
{% macro message_stream_checks(key_column, at_column, identity_check, key_reason='message_id') %}
    {{- return([
        oversized_record_check(),
        ('missing_' ~ key_reason, key_column ~ ' is null'),
        ('duplicate_' ~ key_reason, 'copy_number > 1 or is_stored_earlier'),
        identity_check,
        ('invalid_timestamp', at_column ~ ' is null or received_at is null'),
        implausible_timestamp_check([at_column, 'received_at']),
        ('future_timestamp', at_column ~ ' > ' ~ add_minutes('received_at', var('future_tolerance_minutes'))),
    ]) -}}
{% endmacro %}

{#- The tail of a web base table (base_web__pages, base_web__identifies), after its `renamed` CTE: the
    quarantine_reason of `checks`, each row's landing_fingerprint, and the stored columns: what the clean
    view publishes (published_columns), then filename, file_row_number, landing_fingerprint,
    quarantine_reason and the raw row as landed (`raw_fields`), on quarantined rows only (clean rows are
    most of the stream). -#}
{% macro web_checked_rows(base_model, checks, raw_fields) -%}
validated as (

    select
        *,
        {{ quarantine_reason(checks) }} as quarantine_reason

    from renamed

),

-- each row with the fingerprint of the partition it was read from, stored to notice a re-delivery
fingerprinted as (

    {{ with_landing_fingerprint('validated') }}

),

final as (

    select
        {%- for column in published_columns(base_model) if column != 'landing_fingerprint' %}
        {{ column }},
        {%- endfor %}
        filename,
        file_row_number,
        landing_fingerprint,
        quarantine_reason,
        {{ quarantined_raw_record(raw_fields) }} as raw_record

    from fingerprinted

)

select * from final
{%- endmacro %}



{#- The two CTEs (`late_event_window`, `reprocess_window`) of an incremental event-grain model's window:
    the first landing partition to read again, from the stored `dt` of `stored` (the model's table, or a
    CTE over it) minus the late-event lookback, moved back to the earliest partition of
    `landing_partitions_sql` whose fingerprint the table does not store (first_changed_partition). Ends
    with a comma: the model's CTEs follow. -#}
{% macro reprocess_window_ctes(landing_partitions_sql, stored=none) -%}
late_event_window as (
    select
        {{ late_event_reprocess_from('max(dt)') }} as reprocess_from_dt
    from {{ stored or this }}
),

reprocess_window as (
    select
        coalesce(
            least(late_event_window.reprocess_from_dt, {{ first_changed_partition(landing_partitions_sql) }}),
            late_event_window.reprocess_from_dt
        ) as reprocess_from_dt
    from late_event_window
),
{%- endmacro %}
