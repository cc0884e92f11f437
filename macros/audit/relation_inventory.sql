{#- What the warehouse may hold: every relation in every schema of the target database is a node of this
    project (a model, seed or snapshot that is not ephemeral, or a test storing its failures) or one of the
    known system tables (var known_system_relations). Anything else, such as a `__dbt_tmp` table a Python
    incremental model left behind, may hold personal data no privacy test and no erasure ever sees. -#}

{#- on-run-end hook: drops the temporary and backup relations dbt's materializations leave behind
    (`<model>__dbt_tmp<timestamp>`, `<model>__dbt_backup`) in every schema of the target database. -#}
{% macro drop_leftover_relations() %}
    {%- if not execute or target.type != 'duckdb' -%}{{ return('') }}{%- endif -%}
    {%- for relation in warehouse_relations() if is_leftover_relation_name(relation.identifier) -%}
        {%- do adapter.drop_relation(relation) -%}
        {{- log('dropped leftover relation ' ~ relation, info=true) -}}
    {%- endfor -%}
    {{- return('') -}}
{% endmacro %}


{#- on-run-end hook, after drop_leftover_relations: fails the run when a relation of the warehouse is neither
    a node of this project nor a known system table, naming each. -#}
{% macro check_relation_inventory() %}
    {%- if not execute or target.type != 'duckdb' -%}{{ return('') }}{%- endif -%}
    {%- set expected = project_relation_names() -%}
    {%- set unknown = [] -%}
    {%- for relation in warehouse_relations() -%}
        {%- set name = (relation.schema ~ '.' ~ relation.identifier) | lower -%}
        {%- if name not in expected -%}
            {%- do unknown.append(name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if unknown -%}
        {{ exceptions.raise_compiler_error(
            'The warehouse holds relations that are not nodes of this project: ' ~ unknown | join(', ')
            ~ '. They may keep personal data no erasure reaches: drop them (or list a system table in the var '
            ~ 'known_system_relations).') }}
    {%- endif -%}
    {{- return('') -}}
{% endmacro %}


{#- Every table and view of the target database, in every schema, from information_schema (not the manifest). -#}
{% macro warehouse_relations() %}
    {%- set sql -%}
        select table_schema, table_name, table_type
        from information_schema.tables
        where table_catalog = {{ dbt.string_literal(target.database) }}
        order by table_schema, table_name
    {%- endset -%}
    {%- set relations = [] -%}
    {%- for row in run_query(sql).rows -%}
        {%- do relations.append(api.Relation.create(
            database=target.database, schema=row[0], identifier=row[1],
            type='view' if row[2] == 'VIEW' else 'table')) -%}
    {%- endfor -%}
    {{- return(relations) -}}
{% endmacro %}


{% macro is_leftover_relation_name(identifier) %}
    {{- return(modules.re.search('__dbt_(tmp|backup)', identifier | lower) is not none) -}}
{% endmacro %}


{#- 'schema.identifier' (lower case) of every relation this project may store. -#}
{% macro project_relation_names() %}
    {%- set names = [] -%}
    {%- for node in graph.nodes.values() -%}
        {%- set stores = (node.resource_type in ('model', 'seed', 'snapshot')
            and node.config.materialized != 'ephemeral')
            or (node.resource_type == 'test' and node.config.store_failures) -%}
        {%- if stores -%}
            {%- do names.append((node.schema ~ '.' ~ (node.alias or node.name)) | lower) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for name in var('known_system_relations') -%}
        {%- do names.append((target.schema ~ '.' ~ name) | lower) -%}
    {%- endfor -%}
    {{- return(names) -}}
{% endmacro %}
