{#- The data-protection vocabulary, in one place: the classification every mart column declares, the
    column names raw PII goes by, and the patterns of PII values. Read by the no_raw_pii test and by the
    singular tests in tests/singular/privacy/. -#}

{#- Allowed values of a column's `meta.classification`, with what each means. -#}
{% macro data_classifications() %}
    {{ return({
        'pii_pseudonymized': 'salted SHA-256 of a PII value (email_hash, phone_hash): joins, never reveals',
        'pseudonymous_id': 'a key that singles out a person, a device or one of their records but names nobody',
        'behavioral': 'what a person did and when: counts, amounts, timestamps, items interacted with',
        'demographic': 'a coarse attribute of a person (age band, gender, country, loyalty tier)',
        'consent': "a person's consent or erasure state",
        'derived': 'computed by a model: scores, segments, predictions, flags, statistics',
        'reference': 'not about a person: catalog, experiment design, configuration, the as-of time',
    }) }}
{% endmacro %}


{#- Column names (lower case) that raw PII goes by in sources and CRMs: none may exist past staging. -#}
{% macro raw_pii_column_names() %}
    {{ return([
        'email', 'e_mail', 'email_address', 'customer_email', 'emailaddress',
        'phone', 'phone_number', 'phonenumber', 'mobile', 'mobile_phone', 'telephone',
        'first_name', 'firstname', 'last_name', 'lastname', 'surname', 'full_name', 'fullname',
        'given_name', 'family_name',
        'birthdate', 'birth_date', 'date_of_birth', 'dob', 'birth_year',
        'ip', 'ip_address', 'user_agent', 'context_user_agent',
        'address', 'street', 'street_address', 'postal_code', 'postcode', 'zip', 'zip_code',
        'city', 'mailing_city', 'mailingcity', 'mailing_street',
        'ssn', 'national_id', 'passport_number', 'iban', 'credit_card',
    ]) }}
{% endmacro %}


{#- Regular expressions of raw PII values, matched anywhere in a text value. A phone is 10 to 15 digits
    with at most two of space, dash or bracket between two digits, or dot-grouped (415.555.0100,
    06.12.34.56.78), not inside a longer token: digits inside a hash, a UUID or a dotted id, decimal
    numbers, dates and times do not match. -#}
{% macro pii_value_patterns() %}
    {{ return({
        'email': '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}',
        'phone': '(^|[^0-9A-Za-z_.-])(\\+?\\(?[0-9]([ ()-]{0,2}[0-9]){9,14}|[0-9]{3,4}\\.[0-9]{3,4}\\.[0-9]{4}|[0-9]{2}(\\.[0-9]{2}){4})($|[^0-9A-Za-z_:-])',
    }) }}
{% endmacro %}


{#- A literal every match of a pattern in pii_value_patterns() contains, for the patterns that have one: a
    `like` on it is far cheaper than the regular expression and rules out almost every value first (an
    email needs its '@'; a phone has no such character). -#}
{% macro pii_value_markers() %}
    {{ return({'email': '@'}) }}
{% endmacro %}


{#- A condition true when the text `expr` holds a value of pii_value_patterns()[pattern_name]: its marker
    checked with `like` first, where the pattern has one, so the pattern runs only on values that can match. -#}
{% macro pii_value_matches(expr, pattern_name) %}
    {%- set marker = pii_value_markers().get(pattern_name) -%}
    {%- set prefilter = expr ~ " like '%" ~ marker ~ "%' and " if marker else '' -%}
    {{- return(prefilter ~ regexp_like(expr, pii_value_patterns()[pattern_name])) -}}
{% endmacro %}
