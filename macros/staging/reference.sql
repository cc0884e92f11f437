{#- Keys for matching free-text values against the reference seeds. -#}

{#- A free-text country as matched against seeds/country_codes.csv (column country_alias): lower case,
    accents and dots removed, whitespace collapsed. 'U.S.A.' -> 'usa', ' Österreich ' -> 'osterreich'. -#}
{% macro country_match_key(expr) -%}
    nullif(trim({{ regexp_replace_all(
        regexp_replace_all('lower(' ~ remove_diacritics(expr) ~ ')', '[.]', ''),
        '\s+',
        ' '
    ) }}), '')
{%- endmacro %}


{#- An ISO-4217 currency code as landed: trimmed, upper case; null when blank. -#}
{% macro currency_code(expr) -%}
    nullif(upper(trim({{ expr }})), '')
{%- endmacro %}
