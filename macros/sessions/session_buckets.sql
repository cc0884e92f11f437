{#- How many hash groups a full build of int_sessions_sessionized sessionizes the devices in: the events
    stored in the model `events_model` (int_events_identified, built before it) divided by
    var('session_bucket_events'), rounded up, at least one. The count reads the table's row count once,
    when the model is run; while parsing, or before the table exists, one group. -#}
{% macro session_bucket_count(events_model) %}
    {%- if not execute -%}
        {{- return(1) -}}
    {%- endif -%}
    {%- set events = adapter.get_relation(target_database(), target.schema, events_model) -%}
    {%- if events is none -%}
        {{- return(1) -}}
    {%- endif -%}
    {%- set event_count = run_query('select count(*) from ' ~ events).columns[0].values()[0] | int -%}
    {%- set per_bucket = var('session_bucket_events') | int -%}
    {{- return([1, (event_count + per_bucket - 1) // per_bucket] | max) -}}
{% endmacro %}
