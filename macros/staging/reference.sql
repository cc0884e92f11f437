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


{#- The rows of `relation` (a CTE with a `currency` code, as currency_code cleans it) converted to US
    dollars through seeds/currency_rates.csv: `is_known_currency` (the code is in the seed) and, for each
    (amount column, dollar column) pair in `amounts`, the amount times the currency's usd_per_unit (null for
    an unknown currency). Every money column of staging is converted here. -#}
{% macro with_usd_amounts(relation, amounts) -%}
    select
        {{ relation }}.*,
        currency_rates.currency_code is not null as is_known_currency,
        {%- for amount_column, usd_column in amounts %}
        {{ relation }}.{{ amount_column }} * currency_rates.usd_per_unit as {{ usd_column }}
        {{- ',' if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    left join {{ ref('currency_rates') }} as currency_rates
        on {{ relation }}.currency = currency_rates.currency_code
{%- endmacro %}
