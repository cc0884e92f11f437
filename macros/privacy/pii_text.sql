{#- Normalization and redaction of personal data, shared by every staging model that touches PII. -#}

{#- An email address as matched across sources: trimmed, lower case; null when blank. -#}
{% macro normalize_email(expr) -%}
    nullif(lower(trim({{ expr }})), '')
{%- endmacro %}


{#- True when a normalized email looks deliverable: one '@', no spaces, a dotted domain. -#}
{% macro is_valid_email(expr) -%}
    {{ regexp_like(expr, "^[a-z0-9._%+'-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$") }}
{%- endmacro %}


{#- A phone number reduced to its digits, so '+1 (555) 010-2000' and '15550102000' hash alike; null when
    no digit is left. -#}
{% macro normalize_phone(expr) -%}
    nullif({{ regexp_replace_all(expr, '[^0-9]', '') }}, '')
{%- endmacro %}


{#- Free text with email addresses replaced by '[email]' and phone numbers by '[phone]', so support text
    can be analysed without carrying contact details downstream. -#}
{% macro redact_pii_text(expr) -%}
    {{ regexp_replace_all(
        regexp_replace_all(expr, email_in_text_pattern(), '[email]'),
        '(\+?\d{1,3}[\s.-]?)?(\(\d{2,4}\)|\d{2,4})[\s.-]?\d{3,4}[\s.-]?\d{3,4}',
        '[phone]'
    ) }}
{%- endmacro %}


{#- The email addresses redact_pii_text finds in free text. Java's backtracking regex (Spark) retries every
    start inside a run of address characters, quadratic in the run: a 300,000-character ticket body took
    minutes per query. On Spark a match starts only where such a run starts or where the previous match
    ended, and the local part is possessive: the same matches (checked against DuckDB on every `sample`
    ticket text), linear time. DuckDB's RE2 is linear already and has neither construct. -#}
{% macro email_in_text_pattern() %}
    {{- return(adapter.dispatch('email_in_text_pattern', 'tailor')()) -}}
{% endmacro %}

{% macro default__email_in_text_pattern() %}
    {{- return('[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}') -}}
{% endmacro %}

{% macro spark__email_in_text_pattern() %}
    {{- return('(?:\G|(?<![A-Za-z0-9._%+-]))[A-Za-z0-9._%+-]++@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}') -}}
{% endmacro %}
