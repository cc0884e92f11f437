{#- The building blocks of the shared validation in each base_<source>__<entity>s model. -#}

{#- An identifier or free-text value as landed, trimmed of whitespace; null when blank. -#}
{% macro clean_text(expr) -%}
    nullif({{ trim_whitespace(expr) }}, '')
{%- endmacro %}


{#- The quarantine reason of a row: the first of the (reason, condition) pairs whose condition is true,
    in the order given; null when none is, which means the row is clean. One place for the precedence. -#}
{% macro quarantine_reason(checks) -%}
    case
        {%- for reason, condition in checks %}
        when {{ condition }} then '{{ reason }}'
        {%- endfor %}
    end
{%- endmacro %}


{#- The rows of `relation` with a copy_number: 1 for the first copy of each key in `order_by` order, 2, 3,
    ... for later copies (the duplicates); rows without a key get 1, as they fail the missing-key check
    instead. `key` is an expression over the columns of `relation`. Repeated keys are rare (delivery
    retries, re-extracts), so only their rows go through the window: sorting every row by its key would be
    the costliest step of the view. Numbering runs on the raw rows, before any parsing, and reads
    `relation` three times: declare that CTE {{ not_materialized() }} so DuckDB streams it. -#}
{% macro number_copies(relation, key, order_by) %}
    {{- return(adapter.dispatch('number_copies', 'tailor')(relation, key, order_by)) -}}
{% endmacro %}

{#- The head of a base model over a landed table read whole (not incremental): the landed source and
    `numbered`, its rows with copy_number by `copy_key` (an expression over the landed columns) in landing
    order, so that copy_number > 1 is a later copy of a key already landed. The model goes on from
    `numbered`; change streams number by version (change_stream_copies). -#}
{% macro landed_copies(source_name, table_name, copy_key) -%}
source as {{ not_materialized() }} (

    select * from {{ source(source_name, table_name) }}

),

numbered as (

    {{ number_copies('source', copy_key, landing_row_order(source_name, 'source')) }}

)
{%- endmacro %}


{#- DuckDB: repeated keys are found by their 64-bit hash, much cheaper to group and join than long text
    ids. A hash collision only sends a row through the window, where partitioning by the key itself still
    numbers it 1, so the result is exact. -#}
{% macro duckdb__number_copies(relation, key, order_by) -%}
    with repeated_hashes as materialized (
        {{ repeated_key_hashes(relation, key) }}
    )

    select
        {{ relation }}.*,
        1 as copy_number
    from {{ relation }}
    left join repeated_hashes
        on hash({{ key }}) = repeated_hashes.key_hash
    where repeated_hashes.key_hash is null

    union all

    select
        {{ relation }}.*,
        row_number() over (partition by {{ key }} order by {{ order_by }}) as copy_number
    from {{ relation }}
    inner join repeated_hashes
        on hash({{ key }}) = repeated_hashes.key_hash
{%- endmacro %}

{% macro default__number_copies(relation, key, order_by) -%}
    select
        {{ relation }}.*,
        row_number() over (partition by {{ key }} order by {{ order_by }}) as copy_number
    from {{ relation }}
{%- endmacro %}


{#- DuckDB: the 64-bit hashes (`key_hash`) that more than one row of `relation` has for `key`: every
    repeated key's hash, and any colliding ones. Grouping eight-byte hashes is far cheaper than grouping
    long text keys; callers look at the rows of these hashes only. -#}
{% macro repeated_key_hashes(relation, key) -%}
    select hash({{ key }}) as key_hash
    from {{ relation }}
    where {{ key }} is not null
    group by 1
    having count(*) > 1
{%- endmacro %}


{#- The landed row as JSON text (`json_object_text` of `raw_fields`) on quarantined rows, null on clean ones:
    the base tables keep it for the quarantine model only, since clean rows are most of a stream. -#}
{% macro quarantined_raw_record(raw_fields) -%}
    case
        when quarantine_reason is not null
            then {{ json_object_text(raw_fields) }}
    end
{%- endmacro %}


{#- The size of a landed record as text: every column of the row, rendered as one string. Records over
    var('max_record_bytes') are quarantined as `oversized_record` before any other check, so one huge value
    (a pasted log in a ticket body, a blob in event properties) never reaches parsing, NLP or a join.
    `scalar_columns`: every column of `relation` is a scalar (text, number, date; no list or struct), as in
    the message streams; an engine may then size most rows more cheaply, deciding the check the same way. -#}
{% macro record_bytes(relation, scalar_columns=false) %}
    {{- return(adapter.dispatch('record_bytes', 'tailor')(relation, scalar_columns)) -}}
{% endmacro %}

{#- DuckDB renders the row as a struct literal: each value at most twice its text plus quotes (escapes), and
    per column its name, quotes, separators or NULL. Rendering the struct costs most of a base model's
    projection on the large streams, so with `scalar_columns` only a row whose values' text exceeds a quarter
    of the limit is rendered; below that the row is at most half the limit plus that fixed per-column part
    (under the other half for any table of fewer than a few thousand columns), so it is never oversized and
    its values' text length stands in for the size. -#}
{% macro duckdb__record_bytes(relation, scalar_columns=false) -%}
    {%- if scalar_columns -%}
    case
        when strlen(concat(*columns({{ relation }}.*))) * 4 <= {{ var('max_record_bytes') }}
            then strlen(concat(*columns({{ relation }}.*)))
        else strlen(cast({{ relation }} as varchar))
    end
    {%- else -%}
    strlen(cast({{ relation }} as varchar))
    {%- endif -%}
{%- endmacro %}

{% macro spark__record_bytes(relation, scalar_columns=false) -%}
    octet_length(to_json(struct({{ relation }}.*)))
{%- endmacro %}

{% macro default__record_bytes(relation, scalar_columns=false) -%}
    {{ exceptions.raise_compiler_error('record_bytes has no implementation for ' ~ target.type) }}
{%- endmacro %}


{#- The `oversized_record` check, first of every base model's list: needs the model's `record_bytes` column. -#}
{% macro oversized_record_check() %}
    {{- return(('oversized_record', 'record_bytes > ' ~ var('max_record_bytes'))) -}}
{% endmacro %}


{#- The `implausible_timestamp` check: any of `columns` (parsed timestamps) before var('earliest_valid_timestamp'),
    such as a 1970 epoch default. Every timestamp of every source goes through it. -#}
{% macro implausible_timestamp_check(columns) %}
    {%- set earliest = " < cast('" ~ var('earliest_valid_timestamp') ~ "' as timestamp)" -%}
    {{- return(('implausible_timestamp', columns | join(earliest ~ ' or ') ~ earliest)) -}}
{% endmacro %}


{#- Change streams (orders, contacts, products: sources with an update timestamp). A key landed with several
    update timestamps is a series of versions: the latest valid one is current (the clean model), the
    earlier valid ones are history (the _history model), and only a copy of a version already landed (same
    key, same update timestamp) is a duplicate. The copy key number_copies numbers: -#}
{% macro version_copy_key(key, updated_at_text) -%}
    {{ key }} || '@' || coalesce({{ updated_at_text }}, '')
{%- endmacro %}

{#- True on the current version of a key: the valid row (no quarantine_reason) with the latest updated_at,
    ties broken by the later landed row. Reads the model's `quarantine_reason`, `updated_at`, `filename` and
    `file_row_number`; null-free. -#}
{% macro is_latest_version(key) -%}
    (quarantine_reason is null and row_number() over (
        partition by {{ key }}, quarantine_reason is null
        order by updated_at desc nulls last, filename desc, file_row_number desc nulls last
    ) = 1)
{%- endmacro %}

{#- The whole query of a quarantine view: the rows of a base model that failed a check, with their key,
    the reason and the raw record as landed (and the arrival partition of a partitioned stream), so that
    every raw row ends in a clean or a quarantine model. A record of an erased person (is_erased_record) is
    here too, as `erased` unless it failed another check first, with the erased marker for its raw record
    (erased_raw_record), and without its key when the key is itself an identifier. -#}
{% macro quarantined_rows(base_model, key_column, partition_column=none) -%}
    {%- set relation_name = base_model.split('__')[-1] -%}
    {%- set erasure = erasure_records(base_model) -%}
with

{{ relation_name }} as (

    select * from {{ ref(base_model) }}

),

final as (

    select
        {{ key_column }},
        quarantine_reason,
        raw_record
        {%- if partition_column %},
        {{ partition_column }}
        {%- endif %}

    from {{ relation_name }}
    where quarantine_reason is not null and not {{ is_erased_record(base_model) }}
    {%- if has_erasable_records(base_model) %}

    union all

    select
        {% if key_column in erasure['identifiers'] -%}
        cast(null as string) as {{ key_column }},
        {%- else -%}
        {{ key_column }},
        {%- endif %}
        coalesce(quarantine_reason, 'erased') as quarantine_reason,
        {{ erased_raw_record() }} as raw_record
        {%- if partition_column %},
        {{ partition_column }}
        {%- endif %}

    from {{ relation_name }}
    where {{ is_erased_record(base_model) }}
    {%- endif %}

)

select * from final
{%- endmacro %}
