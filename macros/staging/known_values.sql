{#- The closed vocabularies of the landed data. The one list of each is `known_values` in dbt_project.yml's
    vars; the validation in the base_ models, the accepted_values tests in _<source>__models.yml
    (values: "{{ known_values('...') }}") and the sample-data generator read it from there. -#}
{% macro known_values(vocabulary) -%}
    {%- set vocabularies = var('known_values') -%}
    {%- if vocabulary not in vocabularies -%}
        {{- exceptions.raise_compiler_error('unknown vocabulary ' ~ vocabulary) -}}
    {%- endif -%}
    {{- return(vocabularies[vocabulary] | list) -}}
{%- endmacro %}


{#- A SQL list literal, ('a', 'b'), of text values. -#}
{% macro sql_text_list(values) -%}
    ({%- for value in values -%}'{{ value | replace("'", "''") }}'{{ ", " if not loop.last }}{%- endfor -%})
{%- endmacro %}
