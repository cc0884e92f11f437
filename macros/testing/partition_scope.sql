{#- Data tests by partition. The tests on the large event-grain tables carry the placeholder `where` config
    `__new_partitions__` (set once per folder in dbt_project.yml); singular tests over those tables call
    tested_partitions themselves. On a daily run it becomes a filter on the partitions the run re-read (the
    late-event window of the tested table, `late_event_reprocess_from`), so a test costs what the new data
    costs, not what the history costs. The window's first date is looked up when the test runs and written
    into its SQL as a literal: DuckDB then prunes the older partitions in the scan (of a table, through a
    view's union, and of the landing files), where a scalar subquery made it compute the whole view first.
    On a --full-refresh, and with `--vars '{data_tests_scope: all}'` (the weekly whole-table check,
    `make test-all-partitions`), it becomes `true` and the test reads the whole table. A partition
    re-delivered before the window is re-read by staging and checked by the next whole-table run.
    A test whose property a daily run already guards on the materialized tables it derives from (a view
    over the whole history: the recommender's refit input) carries `__whole_table_runs__` instead: it reads
    every row on the whole-table runs above and none on a daily run. -#}

{#- 'all' on a full refresh or when var `data_tests_scope` says so, else 'new_partitions'. -#}
{% macro data_tests_scope() -%}
    {%- set scope = var('data_tests_scope') | trim | lower -%}
    {%- if scope not in ('all', 'new_partitions') -%}
        {{- exceptions.raise_compiler_error('var data_tests_scope must be all or new_partitions, got ' ~ scope) -}}
    {%- endif -%}
    {{- return('all' if flags.FULL_REFRESH else scope) -}}
{%- endmacro %}


{#- The first partition (a date) a partition-scoped test reads, from the stored `dt` of `relation`'s
    partition table (partition_table): the late-event window a daily run re-reads. When the test runs, a
    date literal looked up then (so the scans prune by it); at parse time (no warehouse to ask), the scalar
    query itself. -#}
{% macro first_tested_partition(relation) -%}
    {%- set window_start -%}
        select {{ late_event_reprocess_from('max(cast(dt as date))') }} as first_partition
        from {{ partition_table(relation) }}
    {%- endset -%}
    {%- set window_rows = run_query(window_start).rows if execute else [] -%}
    {%- if window_rows -%}
        cast('{{ window_rows[0][0] }}' as date)
    {%- else -%}
        ({{ window_start }})
    {%- endif -%}
{%- endmacro %}


{#- The stored table whose `dt` partitions `relation` holds: the relation itself, or for a view of the
    project (a staging clean or quarantine model) the table or incremental model it reads that has a `dt`
    column. The newest partition is read there, where a view would compute all of its rows first (a
    quarantine view checks every row against the erasure tombstones). -#}
{% macro partition_table(relation) -%}
    {%- if not execute or relation is string -%}
        {{- return(relation) -}}
    {%- endif -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model'
        and node.config.materialized == 'view'
        and (node.alias or node.name) | lower == relation.identifier | lower
        and node.schema | lower == relation.schema | lower -%}
        {%- for parent_id in node.depends_on.nodes if parent_id in graph.nodes -%}
            {%- set parent = graph.nodes[parent_id] -%}
            {%- if parent.resource_type == 'model' and parent.config.materialized in ('table', 'incremental') -%}
                {%- set stored = api.Relation.create(
                    database=parent.database, schema=parent.schema, identifier=parent.alias or parent.name) -%}
                {%- if 'dt' in adapter.get_columns_in_relation(stored) | map(attribute='name') | map('lower') | list -%}
                    {{- return(stored) -}}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{- return(relation) -}}
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


{#- dbt's hook for a test's `where` config: the placeholder `__new_partitions__` becomes tested_partitions(model),
    `__whole_table_runs__` becomes `true` on a whole-table run and `false` on a daily one; any other `where` is
    applied as written. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where and '__new_partitions__' in where -%}
        {%- set where = where | replace('__new_partitions__', tested_partitions('scoped_rows', relation)) -%}
    {%- endif -%}
    {%- if where and '__whole_table_runs__' in where -%}
        {%- set where = where | replace('__whole_table_runs__', 'true' if data_tests_scope() == 'all' else 'false') -%}
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
