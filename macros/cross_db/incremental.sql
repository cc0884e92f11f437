{#- The incremental config of a model that replaces whole arrival partitions on each run (the stream base
    tables): the partitions a run selects are written again, the others kept. DuckDB deletes the rows of
    those partitions and inserts the new ones (delete+insert on the partition column); Spark without a
    merge-capable table format overwrites the same partitions of a Parquet table partitioned by the column
    (insert_overwrite, with the dynamic partition overwrite mode the spark target sets). Use as
    config(materialized='incremental', **replace_partitions_config('dt')). -#}
{% macro replace_partitions_config(partition_column) %}
    {{- return(adapter.dispatch('replace_partitions_config', 'tailor')(partition_column)) -}}
{% endmacro %}

{% macro default__replace_partitions_config(partition_column) %}
    {{- return({'incremental_strategy': 'delete+insert', 'unique_key': partition_column}) -}}
{% endmacro %}

{% macro spark__replace_partitions_config(partition_column) %}
    {{- return({
        'incremental_strategy': 'insert_overwrite',
        'partition_by': [partition_column],
        'file_format': 'parquet',
    }) -}}
{% endmacro %}


{#- The statement that makes `relation`, a table the project keeps outside its nodes, hold exactly the rows
    of `select_sql`, creating it when missing. DuckDB replaces the table in one statement. Spark creates it
    empty (a Parquet table, the query's columns) when missing, here, and overwrites it. -#}
{% macro replace_table_rows_sql(relation, select_sql) %}
    {{- return(adapter.dispatch('replace_table_rows_sql', 'tailor')(relation, select_sql)) -}}
{% endmacro %}

{% macro default__replace_table_rows_sql(relation, select_sql) -%}
    create or replace table {{ relation }} as {{ select_sql }}
{%- endmacro %}

{% macro spark__replace_table_rows_sql(relation, select_sql) -%}
    {%- if execute -%}
        {%- do run_query(
            'create table if not exists ' ~ relation ~ ' using parquet as select * from (' ~ select_sql
            ~ ') as replaced_rows where false') -%}
    {%- endif -%}
    insert overwrite table {{ relation }} select * from ({{ select_sql }}) as replaced_rows
{%- endmacro %}


{#- Deletes the rows of `relation` (named `alias` in `condition`, when given) for which `condition` holds.
    DuckDB renders the delete statement. Spark's Parquet tables have no delete: the rows to keep (every
    row except those where the condition is true; a null condition keeps the row, as a delete does) are
    copied to a scratch table, the table is truncated and the copy inserted back. Those statements run
    here, so the Spark version renders nothing. -#}
{% macro delete_rows_where(relation, condition, alias=none) %}
    {{- return(adapter.dispatch('delete_rows_where', 'tailor')(relation, condition, alias)) -}}
{% endmacro %}

{% macro default__delete_rows_where(relation, condition, alias) -%}
    delete from {{ relation }}{{ ' as ' ~ alias if alias }}
    where {{ condition }}
{%- endmacro %}

{% macro spark__delete_rows_where(relation, condition, alias) -%}
    {%- if execute -%}
        {%- set named = relation ~ (' as ' ~ alias if alias else '') -%}
        {%- set scratch = relation.incorporate(path={'identifier': relation.identifier ~ '__dbt_tmp_kept'}) -%}
        {%- do run_query('drop table if exists ' ~ scratch) -%}
        {%- do run_query(
            'create table ' ~ scratch ~ ' using parquet as select * from ' ~ relation
            ~ ' except all select * from ' ~ named ~ ' where ' ~ condition) -%}
        {%- do run_query('truncate table ' ~ relation) -%}
        {%- do run_query('insert into ' ~ relation ~ ' select * from ' ~ scratch) -%}
        {%- do run_query('drop table ' ~ scratch) -%}
    {%- endif -%}
{%- endmacro %}


{#- The project's row-replacing incremental strategies on a table format without delete or merge (Spark's
    Parquet tables): the run's new rows are stored first (dbt-spark hands them over as a view, which may
    read the target itself), the stored rows that `condition` matches are deleted (delete_rows_where; the
    condition names the stored new rows `__staged__`), then the new rows are inserted. The statements run
    here; the materialization's one main statement is a no-op. Called by dbt_spark_get_incremental_sql
    (macros/materializations/spark_incremental.sql). -#}
{% macro spark_replace_rows(source, target, condition, alias=none) -%}
    {%- set staged = target.incorporate(path={'identifier': target.identifier ~ '__dbt_tmp_new'}) -%}
    {%- set columns = get_quoted_csv(adapter.get_columns_in_relation(target) | map(attribute='name')) -%}
    {%- do run_query('drop table if exists ' ~ staged) -%}
    {%- do run_query('create table ' ~ staged ~ ' using parquet as select * from ' ~ source) -%}
    {%- do delete_rows_where(target, condition | replace('__staged__', staged | string), alias) -%}
    {%- do run_query('insert into ' ~ target ~ ' (' ~ columns ~ ') select ' ~ columns ~ ' from ' ~ staged) -%}
    {%- do run_query('drop table ' ~ staged) -%}
    select 1 as rows_replaced
{%- endmacro %}
