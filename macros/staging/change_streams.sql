{#- One model over a change stream's base model: its published columns, for the versions asked for.
    'latest': the latest version of each key (the clean model; a quarantined row is never the latest,
    see is_latest_version). 'earlier': the valid versions that a later valid version of the same key
    superseded (the history model). Neither holds a record of an erased person (is_erased_record): it is in
    the quarantine model. -#}
{% macro change_stream_versions(base_model, versions) -%}
    {%- set conditions = {
        'latest': 'is_latest_version',
        'earlier': 'quarantine_reason is null and not is_latest_version',
    } -%}
    {%- if versions not in conditions -%}
        {{ exceptions.raise_compiler_error(
            "change_stream_versions: versions must be 'latest' or 'earlier', got '" ~ versions ~ "'") }}
    {%- endif -%}
    {%- set condition = conditions[versions] ~ ' and not ' ~ is_erased_record(base_model) -%}
    {{ base_model_rows(base_model, published_columns(base_model), condition) }}
{%- endmacro %}

{#- The head of a change stream's base model: the landed source and `numbered`, its rows with copy_number
    by version (version_copy_key: the key and its update time text), so that copy_number > 1 is a later
    copy of a version already landed. The model goes on from `numbered`. -#}
{% macro change_stream_copies(source_name, table_name, key, updated_at) -%}
{{ landed_copies(source_name, table_name, version_copy_key(clean_text(key), clean_text(updated_at))) }}
{%- endmacro %}
