{#- Runtime checks that the privacy tests cover every model, new ones included: read by the singular tests
    in tests/singular/privacy/. They read the graph, so they only return something when executing. -#}

{#- Columns of every relation in the target schema as last built: {table_name: [column_name, ...]}.
    DuckDB reads information_schema; Spark (which has none) lists its tables and describes each. -#}
{% macro built_columns() %}
    {{- return(adapter.dispatch('built_columns', 'tailor')()) -}}
{% endmacro %}

{% macro spark__built_columns() %}
    {%- set built = {} -%}
    {%- if execute -%}
        {%- for row in run_query('show tables in ' ~ target.schema).rows if not row['isTemporary'] -%}
            {%- set relation = api.Relation.create(schema=target.schema, identifier=row['tableName']) -%}
            {%- for column in adapter.get_columns_in_relation(relation) -%}
                {%- do built.setdefault(row['tableName'] | lower, []).append(column.name | lower) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(built) }}
{% endmacro %}

{% macro default__built_columns() %}
    {%- set built = {} -%}
    {%- if execute -%}
        {%- set columns_sql -%}
            select lower(table_name) as table_name, lower(column_name) as column_name
            from information_schema.columns
            where lower(table_schema) = lower('{{ target.schema }}')
        {%- endset -%}
        {%- for row in run_query(columns_sql).rows -%}
            {%- do built.setdefault(row['table_name'], []).append(row['column_name']) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(built) }}
{% endmacro %}


{#- True for a model under a `marts` folder: what `tailor publish` copies out (see tailor.publish). -#}
{% macro is_mart(node) %}
    {{ return(node.resource_type == 'model' and 'marts' in node.original_file_path.split('/')) }}
{% endmacro %}


{#- [node_name, problem] for each gap in the erasure and PII test coverage:
    - a model or snapshot tagged `person_level` or `identifier_level` without a `no_erased_persons` test;
    - a mart without a `no_raw_pii` test, or tagged `erasure_input` (erased identifiers would be published);
    - a built model or snapshot holding a person_id or raw identifier column without any of the tags
      `person_level`, `identifier_level`, `erasure_input` (staging views over landing excepted);
    - a model reading the identity graph before erasure (int_identifiers_resolved) that is not an erasure
      input and applies no erasure filter of its own (it should read int_identifiers_retained). -#}
{% macro privacy_coverage_gaps() %}
    {%- set gaps = [] -%}
    {%- if not execute -%}{{ return(gaps) }}{%- endif -%}
    {%- set identifying_names = [
        'person_id', 'user_id', 'customer_id', 'anonymous_id', 'email_hash', 'phone_hash', 'crm_contact_id',
        'contact_id', 'identifier_value',
    ] -%}
    {%- set privacy_tags = ['person_level', 'identifier_level', 'erasure_input'] -%}
    {%- set tested = {'no_erased_persons': [], 'no_raw_pii': []} -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'test' and node.test_metadata -%}
        {%- if node.test_metadata.name in tested -%}
            {%- do tested[node.test_metadata.name].append(node.attached_node) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set built = built_columns() -%}
    {%- for node in graph.nodes.values()
        if node.resource_type in ['model', 'snapshot'] and node.config.materialized != 'ephemeral' -%}
        {%- set own_tags = node.tags | select('in', privacy_tags) | list -%}
        {%- if ('person_level' in own_tags or 'identifier_level' in own_tags)
            and node.unique_id not in tested['no_erased_persons'] -%}
            {%- do gaps.append([node.name, 'tagged ' ~ own_tags | join('/') ~ ' but has no no_erased_persons test']) -%}
        {%- endif -%}
        {%- if is_mart(node) and node.unique_id not in tested['no_raw_pii'] -%}
            {%- do gaps.append([node.name, 'mart without a no_raw_pii test']) -%}
        {%- endif -%}
        {%- if is_mart(node) and 'erasure_input' in own_tags -%}
            {%- do gaps.append([node.name, 'mart tagged erasure_input: erased identifiers would be published']) -%}
        {%- endif -%}
        {%- set parents = node.depends_on.nodes | map('replace', 'model.' ~ project_name ~ '.', '') | list -%}
        {%- if 'int_identifiers_resolved' in parents and 'erasure_input' not in own_tags
            and not ('int_persons_erased' in parents or 'int_erasure_tombstones' in parents) -%}
            {%- do gaps.append([node.name, 'reads int_identifiers_resolved, which still holds erased persons: '
                ~ 'read int_identifiers_retained']) -%}
        {%- endif -%}
        {%- set relation_columns = built.get((node.alias or node.name) | lower, []) -%}
        {%- set identifying = relation_columns | select('in', identifying_names) | list -%}
        {%- if identifying and not own_tags and 'staging' not in node.tags -%}
            {%- do gaps.append([node.name, 'holds ' ~ identifying | join(', ')
                ~ ' but is not tagged person_level, identifier_level or erasure_input']) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(gaps) }}
{% endmacro %}


{#- [node_name, column_name, problem] for each mart column without a valid `meta.classification`
    (one of data_classifications()), and each built mart column not documented at all. -#}
{% macro mart_classification_gaps() %}
    {%- set gaps = [] -%}
    {%- if not execute -%}{{ return(gaps) }}{%- endif -%}
    {%- set vocabulary = data_classifications() -%}
    {%- set built = built_columns() -%}
    {%- for node in graph.nodes.values() if is_mart(node) -%}
        {%- set documented = [] -%}
        {%- for column in node.columns.values() -%}
            {%- do documented.append(column.name | lower) -%}
            {%- set meta = column.config.meta if column.config and column.config.meta else column.meta -%}
            {%- set classification = (meta or {}).get('classification') -%}
            {%- if classification not in vocabulary -%}
                {%- do gaps.append([node.name, column.name, 'classification ' ~ (classification or 'missing')
                    ~ ' is not one of ' ~ vocabulary.keys() | sort | join(', ')]) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- for column_name in built.get((node.alias or node.name) | lower, []) if column_name not in documented -%}
            {%- do gaps.append([node.name, column_name, 'built but not documented']) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(gaps) }}
{% endmacro %}


{#- A select of literal text rows, for singular tests that report what a macro found: one row per entry of
    `rows` (each a list of values, in the order of `column_names`), or no row with the same columns. -#}
{% macro rows_as_select(rows, column_names) %}
    {%- set selects = [] -%}
    {%- for row in rows -%}
        {%- set values = [] -%}
        {%- for value in row -%}
            {%- do values.append(dbt.string_literal(value | string) ~ ' as ' ~ column_names[loop.index0]) -%}
        {%- endfor -%}
        {%- do selects.append('select ' ~ values | join(', ')) -%}
    {%- endfor -%}
    {%- if not selects -%}
        {%- set empty = [] -%}
        {%- for name in column_names -%}
            {%- do empty.append('cast(null as string) as ' ~ name) -%}
        {%- endfor -%}
        {%- do selects.append('select ' ~ empty | join(', ') ~ ' where false') -%}
    {%- endif -%}
    {{ return(selects | join('\nunion all\n')) }}
{% endmacro %}
