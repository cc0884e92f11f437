{#- The value of `expr` on the row with the smallest `order_by` (a list of expressions, compared left to
    right) among the group's rows where `condition` holds: the landing page of a session, for instance.
    An aggregate, so it needs no window and no join back to the group. -#}
{% macro value_at_min(expr, order_by, condition='true') %}
    {{- return(adapter.dispatch('value_at_min', 'tailor')(expr, order_by, condition)) -}}
{% endmacro %}

{#- DuckDB: arg_min_null over a row value, so later expressions break ties and a null value on the first
    row is returned as null (arg_min would skip to the next row). -#}
{% macro duckdb__value_at_min(expr, order_by, condition) -%}
    arg_min_null({{ expr }}, ({{ order_by | join(', ') }})) filter (where {{ condition }})
{%- endmacro %}

{#- ANSI (Postgres, Snowflake): the first element of the ordered array. -#}
{% macro default__value_at_min(expr, order_by, condition) -%}
    (array_agg({{ expr }} order by {{ order_by | join(', ') }}) filter (where {{ condition }}))[1]
{%- endmacro %}

{#- Spark: min_by over a struct of the order keys; the struct wraps the value so a null value on the
    first row stays null (min_by would otherwise still return it: it does not skip nulls in the value). -#}
{% macro spark__value_at_min(expr, order_by, condition) -%}
    min_by(
        case when {{ condition }} then named_struct('value', {{ expr }}) end,
        case when {{ condition }} then struct({{ order_by | join(', ') }}) end
    ).value
{%- endmacro %}


{#- Which of `buckets` groups a value falls in (0 .. buckets - 1), by a hash: stable across runs, so a
    query can process its input group by group. -#}
{% macro hash_bucket(expr, buckets) %}
    {{- return(adapter.dispatch('hash_bucket', 'tailor')(expr, buckets)) -}}
{% endmacro %}

{% macro duckdb__hash_bucket(expr, buckets) -%}
    hash({{ expr }}) % {{ buckets }}
{%- endmacro %}

{#- Snowflake's signed 64-bit hash(); BigQuery: farm_fingerprint (adapter override) -#}
{% macro default__hash_bucket(expr, buckets) -%}
    mod(abs(hash({{ expr }})), {{ buckets }})
{%- endmacro %}

{#- Spark: xxhash64, non-negative by pmod. -#}
{% macro spark__hash_bucket(expr, buckets) -%}
    pmod(xxhash64({{ expr }}), {{ buckets }})
{%- endmacro %}


{#- The values of `expr` in a group as an array ordered by `order_by` (a list of expressions, ascending,
    compared left to right). Spark's collect_list has no order: it collects structs of the order keys
    and the value, sorts them and keeps the values. -#}
{% macro ordered_array_agg(expr, order_by) %}
    {{- return(adapter.dispatch('ordered_array_agg', 'tailor')(expr, order_by)) -}}
{% endmacro %}

{% macro default__ordered_array_agg(expr, order_by) -%}
    array_agg({{ expr }} order by {{ order_by | join(', ') }})
{%- endmacro %}

{% macro spark__ordered_array_agg(expr, order_by) -%}
    transform(
        array_sort(collect_list(named_struct(
            {%- for key in order_by %}'key_{{ loop.index }}', {{ key }}, {% endfor -%}
            'value', {{ expr }}
        ))),
        ordered -> ordered.value
    )
{%- endmacro %}


{#- The distinct non-null values of a text expression in a group, sorted and joined by `separator` (null
    when there are none). Spark's collect_set has no order: its set is sorted first. -#}
{% macro sorted_distinct_string_agg(expr, separator) %}
    {{- return(adapter.dispatch('sorted_distinct_string_agg', 'tailor')(expr, separator)) -}}
{% endmacro %}

{% macro default__sorted_distinct_string_agg(expr, separator) -%}
    string_agg(distinct {{ expr }}, '{{ separator }}' order by {{ expr }})
{%- endmacro %}

{% macro spark__sorted_distinct_string_agg(expr, separator) -%}
    case
        when count({{ expr }}) > 0
            then array_join(array_sort(collect_set({{ expr }})), '{{ separator }}')
    end
{%- endmacro %}


{#- A join of each row with the elements of its array column `array_expr`, one row per element, the
    element named `alias`.`column` (rows with an empty or null array drop out). Must be the last join of
    its FROM: Spark renders it as a LATERAL VIEW. -#}
{% macro cross_join_unnest(array_expr, alias, column) %}
    {{- return(adapter.dispatch('cross_join_unnest', 'tailor')(array_expr, alias, column)) -}}
{% endmacro %}

{% macro default__cross_join_unnest(array_expr, alias, column) -%}
    cross join unnest({{ array_expr }}) as {{ alias }} ({{ column }})
{%- endmacro %}

{% macro spark__cross_join_unnest(array_expr, alias, column) -%}
    lateral view explode({{ array_expr }}) {{ alias }} as {{ column }}
{%- endmacro %}


{#- Aggregate: the sum of a floating-point `expr` over the group, the same to the last bit on every run.
    A plain sum adds the rows in the order the engine's threads meet them, and float addition is not
    associative, so two runs over the same rows can differ in the last bits. Here the group's non-null
    values are added one by one in ascending order of value: a canonical order that needs no key and, unlike
    a sum over a DECIMAL cast, no bound on the values. Null when the group has no non-null value, as sum. -#}
{% macro ordered_sum(expr) %}
    {{- return(adapter.dispatch('ordered_sum', 'tailor')(expr)) -}}
{% endmacro %}

{#- DuckDB: the values listed in order (list with ORDER BY keeps the order, unlike sum with ORDER BY, which
    DuckDB drops as order-independent), then list_sum adds them left to right. -#}
{% macro duckdb__ordered_sum(expr) -%}
    list_sum(list({{ expr }} order by {{ expr }}) filter (where {{ expr }} is not null))
{%- endmacro %}

{#- Spark: the collected values (collect_list skips nulls) sorted, then folded left to right. -#}
{% macro spark__ordered_sum(expr) -%}
    case when count({{ expr }}) > 0 then aggregate(
        array_sort(collect_list(cast({{ expr }} as double))), cast(0 as double), (total, value) -> total + value
    ) end
{%- endmacro %}

{#- Other engines: their own sum, which gives no such guarantee; port by adding an <adapter>__ version. -#}
{% macro default__ordered_sum(expr) -%}
    sum({{ expr }})
{%- endmacro %}


{#- Aggregate: the mean of a floating-point `expr` over the group's non-null values, the same to the last bit
    on every run (ordered_sum over count); null when there is none, as avg. -#}
{% macro ordered_avg(expr) -%}
    {{ ordered_sum(expr) }} / count({{ expr }})
{%- endmacro %}


{#- Spark: dbt's listagg, in the order asked for. dbt-spark's own ignores `order by` (it only warns), so the
    text depended on the order rows reached collect_list: int_sessions_sessionized's identity_fingerprint of
    a device with two logins changed from one build to the next, and an incremental build differed from a
    full refresh (found by tests/python/test_spark_incremental.py). The rows are collected as structs of the
    order keys (each led by its is-null flag: nulls last, as DuckDB orders) and the measure, sorted, and the
    measures joined. The keys are the clause's comma-separated expressions, ascending (no commas inside a key,
    no `desc`: a clear error says so). -#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- set fields = [] -%}
    {%- if order_by_clause -%}
        {%- set clause = order_by_clause | trim -%}
        {%- if clause[:8] | lower != 'order by' or ' desc' in clause | lower or '(' in clause -%}
            {{ exceptions.raise_compiler_error(
                "listagg on Spark: order_by_clause must be 'order by' plain ascending expressions, got: " ~ clause
            ) }}
        {%- endif -%}
        {%- for key in clause[8:].split(',') -%}
            {%- set key = key | trim | replace(' asc', '') -%}
            {%- do fields.append("'n" ~ loop.index ~ "', " ~ key ~ " is null, 'k" ~ loop.index ~ "', " ~ key) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- do fields.append("'measure', " ~ measure) -%}
    {%- set collected -%}
        transform(array_sort(collect_list(named_struct({{ fields | join(', ') }}))), entry -> entry.measure)
    {%- endset -%}
    array_join({{ 'slice(' ~ collected ~ ', 1, ' ~ limit_num ~ ')' if limit_num else collected }}, {{ delimiter_text }})
{%- endmacro %}
