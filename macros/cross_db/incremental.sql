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
