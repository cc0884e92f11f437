{#- Parse an ISO-8601 text timestamp into a UTC `timestamp` (without time zone); null when it does not parse.
    Strings that carry an offset ('Z', '+02:00', '+0000') are converted to UTC; strings without one are taken
    as UTC already, whatever the session time zone is, so the result never depends on the machine. -#}
{% macro try_parse_timestamp(expr) %}
    {{- return(adapter.dispatch('try_parse_timestamp', 'tailor')(expr)) -}}
{% endmacro %}

{% macro duckdb__try_parse_timestamp(expr) -%}
    {#- 'Z' (UTC) is by far the most common suffix: it skips the costlier offset pattern -#}
    case
        when ends_with({{ expr }}, 'Z') or ends_with({{ expr }}, 'z')
            then try_cast({{ expr }} as timestamptz) at time zone 'UTC'
        when regexp_matches({{ expr }}, ':\d{2}(\.\d+)?\s*[+-]\d{2}(:?\d{2})?\s*$')
            then try_cast({{ expr }} as timestamptz) at time zone 'UTC'
        else try_cast({{ expr }} as timestamp)
    end
{%- endmacro %}

{% macro default__try_parse_timestamp(expr) -%}
    {{ dbt.safe_cast('trim(' ~ expr ~ ')', api.Column.translate_type('timestamp')) }}
{%- endmacro %}

{#- Spark parses ISO-8601 with or without an offset; the spark target's session time zone is UTC, so text
    without an offset is taken as UTC, as on DuckDB. -#}
{% macro spark__try_parse_timestamp(expr) -%}
    try_cast(trim({{ expr }}) as timestamp)
{%- endmacro %}


{#- Cast that yields null instead of failing on a value that does not convert. -#}
{% macro try_cast_as(expr, data_type) %}
    {{- return(adapter.dispatch('try_cast_as', 'tailor')(expr, data_type)) -}}
{% endmacro %}

{% macro duckdb__try_cast_as(expr, data_type) -%}
    try_cast({{ expr }} as {{ data_type }})
{%- endmacro %}

{% macro default__try_cast_as(expr, data_type) -%}
    {{ dbt.safe_cast(expr, data_type) }}
{%- endmacro %}

{% macro spark__try_cast_as(expr, data_type) -%}
    try_cast({{ expr }} as {{ 'string' if data_type | lower in ('varchar', 'text') else data_type }})
{%- endmacro %}


{#- A timestamp plus a number of minutes (dbt's cross-database dateadd, named for what it does here). -#}
{% macro add_minutes(expr, minutes) -%}
    {{ dbt.dateadd('minute', minutes, expr) }}
{%- endmacro %}


{#- Days from `start` to `end` (negative when `end` is earlier), to the second, as a double. The second
    count is divided in floating point on every engine: a decimal literal (`/ 86400.0`) makes Spark divide in
    decimal(28, 7), rounding the age to 8.64 ms before it is decayed, so weights rounded to 9 decimals then
    differed between DuckDB and Spark. -#}
{% macro days_between(start, end) -%}
    ({{ datediff(start, end, 'second') }} / cast(86400 as double))
{%- endmacro %}


{#- A select of one row per calendar day from `start_date` (included) to `end_date` (excluded), as
    `date_day`: DuckDB's range table function, Spark's sequence exploded. -#}
{% macro day_series(start_date, end_date) %}
    {{- return(adapter.dispatch('day_series', 'tailor')(start_date, end_date)) -}}
{% endmacro %}

{% macro duckdb__day_series(start_date, end_date) -%}
    select cast(range as date) as date_day
    from range({{ start_date }}, {{ end_date }}, interval 1 day)
{%- endmacro %}

{% macro spark__day_series(start_date, end_date) -%}
    select explode(sequence({{ start_date }}, date_sub({{ end_date }}, 1), interval 1 day)) as date_day
{%- endmacro %}
