{#- Incremental strategy `replace_table`, for models that carry state from build to build (the recommender's
    stored fit and rows): the model reads its own stored table (dbt.is_incremental) and returns the whole
    new table, which replaces the stored rows. A full refresh (or a first build) runs the model without the
    stored state, as a table.

        config(materialized='incremental', incremental_strategy='replace_table')
-#}
{% macro get_incremental_replace_table_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set columns_csv = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}

    delete from {{ target }};

    insert into {{ target }} ({{ columns_csv }})
    select {{ columns_csv }}
    from {{ arg_dict['temp_relation'] }}
{%- endmacro %}
