{#- dbt-spark knows the append, insert_overwrite, merge (Delta, Iceberg, Hudi) and microbatch strategies.
    The project's incremental models use delete+insert and replace_stream_tails, which a Parquet table
    cannot run as such: these two overrides of dbt-spark's macros (same names, so the root project's win; `dbt.` reaches the adapter's own)
    accept them and run them with delete_rows_where (a rewrite on Parquet, macros/cross_db/incremental.sql);
    every other strategy goes to dbt-spark's own macros unchanged. -#}
{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) %}
    {%- if raw_strategy in ['delete+insert', 'replace_stream_tails'] -%}
        {{- return(raw_strategy) -}}
    {%- endif -%}
    {{- return(dbt.dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format)) -}}
{% endmacro %}

{% macro dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates) %}
    {%- if strategy == 'delete+insert' -%}
        {%- set keys = [unique_key] if unique_key is string else unique_key -%}
        {{ spark_replace_rows(source, target,
            '(' ~ keys | join(', ') ~ ') in (select ' ~ keys | join(', ') ~ ' from __staged__)') }}
    {%- elif strategy == 'replace_stream_tails' -%}
        {{ spark_replace_rows(source, target, replace_stream_tails_condition('__staged__'), 'stored') }}
    {%- else -%}
        {{ dbt.dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates) }}
    {%- endif -%}
{% endmacro %}
