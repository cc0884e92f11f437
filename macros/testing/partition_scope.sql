{#- Data tests by partition. The tests on the large event-grain tables carry the placeholder `where` config
    `__new_partitions__` (set once per folder in dbt_project.yml). On a daily run it becomes a filter on the
    partitions the run re-read (the late-event window of the tested table, `late_event_reprocess_from`), so
    a test costs what the new data costs, not what the history costs. On a --full-refresh, and with
    `--vars '{data_tests_scope: all}'` (the weekly whole-table check, `make test-all-partitions`), it
    becomes `true` and the test reads the whole table. A partition re-delivered before the window is
    re-read by staging and checked by the next whole-table run. -#}

{#- 'all' on a full refresh or when var `data_tests_scope` says so, else 'new_partitions'. -#}
{% macro data_tests_scope() -%}
    {%- set scope = var('data_tests_scope') | trim | lower -%}
    {%- if scope not in ('all', 'new_partitions') -%}
        {{- exceptions.raise_compiler_error('var data_tests_scope must be all or new_partitions, got ' ~ scope) -}}
    {%- endif -%}
    {{- return('all' if flags.FULL_REFRESH else scope) -}}
{%- endmacro %}


{#- The first partition (a date) a partition-scoped test reads, from the stored `dt` of `relation`: the
    late-event window a daily run re-reads. -#}
{% macro first_tested_partition(relation) -%}
    (select {{ late_event_reprocess_from('max(cast(dt as date))') }} from {{ relation }})
{%- endmacro %}


{#- The rows of `relation` a test reads: a filter condition on its `dt` from the window of `window_relation`
    (the tested model, so raw, clean and quarantine rows are compared over the same partitions), or `true`
    when the whole table is tested. -#}
{% macro tested_partitions(relation, window_relation=none) -%}
    {%- if data_tests_scope() == 'all' -%}
        true
    {%- else -%}
        cast({{ relation }}.dt as date) >= {{ first_tested_partition(window_relation or relation) }}
    {%- endif -%}
{%- endmacro %}


{#- dbt's hook for a test's `where` config: the placeholder becomes tested_partitions(model); any other
    `where` is applied as written. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where and '__new_partitions__' in where -%}
        {%- set where = where | replace('__new_partitions__', tested_partitions('scoped_rows', relation)) -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} as scoped_rows where {{ where }}) as dbt_subquery
        {%- endset -%}
        {{- return(filtered) -}}
    {%- else -%}
        {{- return(relation) -}}
    {%- endif -%}
{%- endmacro %}


{#- Whether the current test is partition-scoped (its `where` is the placeholder), for generic tests that
    read relations besides their model (raw_rows_reconciled, row_count_matches) and must scope them alike. -#}
{% macro is_partition_scoped_test() -%}
    {%- set where = config.get('where') -%}
    {{- return(where is not none and '__new_partitions__' in where and data_tests_scope() != 'all') -}}
{%- endmacro %}
