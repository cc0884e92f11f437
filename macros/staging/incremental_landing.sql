{#- Incremental base models over a stream landed in arrival-date folders (`dt=YYYY-MM-DD/`).

    `landing_reprocess_window(landed, also_changed)` renders the CTEs that find the first partition an
    incremental run must (re)read, ending in `reprocess_window` (one row, `reprocess_from_dt`). A partition
    is read again when its landed row count differs from the rows stored for it: a new partition, a file
    that landed late in an old one, or a partition rewritten to remove an erased person. `also_changed`
    lists extra queries returning `partition_value` rows to read again (a quarantine that a later load of
    a dimension can lift). Nothing changed: the window starts after every landed partition and the run
    reads nothing. A partition deleted outright is not detected; the model's raw_rows_reconciled test
    fails then, and a --full-refresh rebuilds it.

    Counting rows per partition reads only the files' footers. Call it under is_incremental() only. -#}
{% macro landing_reprocess_window(landed, also_changed=[]) -%}
stored_partitions as (
    select
        dt as partition_value,
        count(*) as row_count
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
    where
        stored_partitions.row_count is null
        or stored_partitions.row_count != landed_partitions.row_count
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
    the source: `landed` (every partition on a full build, the partitions from `reprocess_window` on
    otherwise) and `stored_keys` (`stored_key`: the keys stored from the partitions before the window, so a
    copy of one of them in the window is a later copy; none on a full build). `key_column` names the key in
    the model's own table. -#}
{% macro incremental_landing(source, key_column, also_changed=[]) -%}
{%- if is_incremental() -%}
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


{#- The first arrival date an incremental event model reads again: `late_event_lookback_days` before the
    high-water mark it stores (`high_water_mark`: an aggregate such as `max(dt)` over its own table), or
    every date when the table is empty. -#}
{% macro late_event_reprocess_from(high_water_mark) -%}
    {%- set lookback_minutes = (var('late_event_lookback_days') | int) * 24 * 60 -%}
    coalesce(cast({{ add_minutes(high_water_mark, -lookback_minutes) }} as date), cast('0001-01-01' as date))
{%- endmacro %}
