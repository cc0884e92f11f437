{#- Nothing is lost in staging: every raw row of a source table is either in its clean model, in its
    history model (change streams: earlier versions of a key) or in its quarantine model, never in two and
    never in none. Apply it to the clean model (`history` only for change streams):

        data_tests:
          - raw_rows_reconciled:
              arguments:
                raw: source('events', 'events')
                quarantine: ref('stg_events__events_quarantine')

    Fails with one row showing the counts when raw != clean + history + quarantine. Partition-scoped (its
    `where` is `__new_partitions__`, see macros/testing/partition_scope.sql), it counts the raw and quarantined
    rows of the same partitions as the clean ones, so the balance stays exact for every partition it reads
    (change streams, the only sources with history, are single files and never partition-scoped). -#}
{% test raw_rows_reconciled(model, raw, quarantine, history=none) %}

with

raw_rows as (

    select count(*) as row_count
    from {{ raw }} as landed_rows
    {% if is_partition_scoped_test() -%}
    where {{ tested_partitions('landed_rows', model) }}
    {%- endif %}

),

clean_rows as (

    select count(*) as row_count from {{ model }}

),

quarantined_rows as (

    select count(*) as row_count
    from {{ quarantine }} as quarantine_rows
    {% if is_partition_scoped_test() -%}
    where {{ tested_partitions('quarantine_rows', model) }}
    {%- endif %}

),

history_rows as (

    {% if history is not none -%}
    select count(*) as row_count from {{ history }}
    {%- else -%}
    select 0 as row_count
    {%- endif %}

),

final as (

    select
        raw_rows.row_count as raw_row_count,
        clean_rows.row_count as clean_row_count,
        history_rows.row_count as history_row_count,
        quarantined_rows.row_count as quarantined_row_count

    from raw_rows
    cross join clean_rows
    cross join history_rows
    cross join quarantined_rows
    where raw_rows.row_count != clean_rows.row_count + history_rows.row_count + quarantined_rows.row_count

)

select * from final

{% endtest %}
