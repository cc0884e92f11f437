{#- Contract constraints as data tests where the engine does not enforce them. DuckDB enforces a contract's
    not_null, unique and primary_key constraints when it writes the table, so a not_null or unique data test
    on such a column checks the same thing a second time, at a test's fixed cost on every build; Spark's
    Parquet tables enforce none, so there one test checks them all
    (tests/singular/marts/assert_mart_contract_constraints_hold.sql). -#}

{#- True where the warehouse itself rejects a row breaking a not_null, unique or primary_key constraint. -#}
{% macro engine_enforces_contract_constraints() -%}
    {{- return(adapter.dispatch('engine_enforces_contract_constraints', 'tailor')()) -}}
{%- endmacro %}

{% macro default__engine_enforces_contract_constraints() -%}
    {{- return(false) -}}
{%- endmacro %}

{% macro duckdb__engine_enforces_contract_constraints() -%}
    {{- return(true) -}}
{%- endmacro %}


{#- The models whose contract is enforced: the graph's nodes, for the test to check its list against. -#}
{% macro contracted_models() -%}
    {%- set names = [] -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.config.contract.enforced -%}
        {%- do names.append(node.name) -%}
    {%- endfor -%}
    {{- return(names | sort) -}}
{%- endmacro %}


{#- A query with one row per broken constraint of the enforced contracts of `models` (model_name,
    column_name, constraint_type, problem): null values of a not_null or primary_key column, repeated values
    of a unique or primary_key column. Empty where the engine enforces them itself. -#}
{% macro contract_constraint_violations(models) -%}
    {%- set checks = [] -%}
    {%- if execute and not engine_enforces_contract_constraints() -%}
        {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name in models -%}
            {%- for column in node.columns.values() -%}
                {%- set types = column.constraints | map(attribute='type') | map('string') | list -%}
                {%- set labels = "'" ~ node.name ~ "' as model_name, '" ~ column.name ~ "' as column_name" -%}
                {%- if 'not_null' in types or 'primary_key' in types -%}
                    {%- do checks.append(
                        'select ' ~ labels ~ ", 'not_null' as constraint_type,"
                        ~ " cast(count(*) as string) || ' null values' as problem from " ~ ref(node.name)
                        ~ ' where ' ~ column.name ~ ' is null having count(*) > 0') -%}
                {%- endif -%}
                {%- if 'unique' in types or 'primary_key' in types -%}
                    {%- do checks.append(
                        'select ' ~ labels ~ ", 'unique' as constraint_type,"
                        ~ " cast(count(*) as string) || ' repeated values' as problem from (select "
                        ~ column.name ~ ' from ' ~ ref(node.name) ~ ' where ' ~ column.name ~ ' is not null group by '
                        ~ column.name ~ ' having count(*) > 1) as repeated having count(*) > 0') -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if not checks -%}
        {%- do checks.append(
            'select cast(null as string) as model_name, cast(null as string) as column_name,'
            ~ ' cast(null as string) as constraint_type, cast(null as string) as problem where false') -%}
    {%- endif -%}
    {{- return(checks | join('\nunion all\n')) -}}
{%- endmacro %}
