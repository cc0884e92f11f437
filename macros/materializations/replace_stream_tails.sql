{#- Incremental strategy `replace_stream_tails`, for models whose rows are cut from ordered streams (sessions
    of a device): the run's rows are each rebuilt stream from some row on, and replace the stored rows of
    that stream from their first start on. A partition of streams (a device) whose version column differs
    from the stored one (its identities moved) was rebuilt whole, and all its stored rows go.

        config(
            materialized='incremental',
            incremental_strategy='replace_stream_tails',
            partition_column='device_id',
            stream_columns=['person_id'],
            start_column='session_start_at',
            version_column='identity_fingerprint',
        )

    Stream columns compare null-safe (an anonymous device's stream has no person). -#}
{% macro get_incremental_replace_stream_tails_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set dest_columns = arg_dict['dest_columns'] -%}
    {%- set columns_csv = get_quoted_csv(dest_columns | map(attribute='name')) -%}

    {{ delete_rows_where(target, replace_stream_tails_condition(source), 'stored') }};

    insert into {{ target }} ({{ columns_csv }})
    select {{ columns_csv }}
    from {{ source }}
{%- endmacro %}


{#- Which stored rows (`stored`) the rebuilt rows of `source` replace: every row of a partition whose
    version changed, and a stream's rows from the first rebuilt start on. -#}
{% macro replace_stream_tails_condition(source) -%}
    {%- set partition_column = config.require('partition_column') -%}
    {%- set stream_columns = config.get('stream_columns', []) -%}
    {%- set start_column = config.require('start_column') -%}
    {%- set version_column = config.require('version_column') -%}
    exists (
        select 1
        from {{ source }} as rebuilt
        where
            rebuilt.{{ partition_column }} = stored.{{ partition_column }}
            and (
                rebuilt.{{ version_column }} != stored.{{ version_column }}
                or (
                    {%- for column in stream_columns %}
                    coalesce(rebuilt.{{ column }}, '') = coalesce(stored.{{ column }}, '') and
                    {%- endfor %}
                    stored.{{ start_column }} >= rebuilt.{{ start_column }}
                )
            )
    )
{%- endmacro %}
