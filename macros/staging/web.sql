{#- Parsing of web-analytics fields: URLs and user agents. -#}

{#- A URL without its query string and fragment, which may carry tokens, emails or campaign noise. -#}
{% macro strip_query_string(expr) -%}
    nullif({{ regexp_replace_all('trim(' ~ expr ~ ')', '[?#].*$', '') }}, '')
{%- endmacro %}


{#- The lower-case host name of an absolute URL, without port or credentials; null for relative URLs. -#}
{% macro url_host(expr) -%}
    lower({{ regexp_extract_group(expr, '^[A-Za-z][A-Za-z0-9+.-]*://([^/?#@]*@)?([^/?#:]+)', 2) }})
{%- endmacro %}


{#- desktop | mobile | tablet from a user-agent string; tablets first, since their agents also match
    mobile patterns (Android tablets omit 'Mobile'). Null when there is no user agent. -#}
{% macro device_type_from_user_agent(expr) -%}
    case
        when {{ expr }} is null or trim({{ expr }}) = '' then null
        when {{ regexp_like('lower(' ~ expr ~ ')', 'ipad|tablet|kindle|silk|playbook') }} then 'tablet'
        when {{ regexp_like('lower(' ~ expr ~ ')', 'android') }}
            and not {{ regexp_like('lower(' ~ expr ~ ')', 'mobi') }} then 'tablet'
        when {{ regexp_like('lower(' ~ expr ~ ')', 'mobi|iphone|ipod|android|windows phone|blackberry|opera mini') }}
            then 'mobile'
        else 'desktop'
    end
{%- endmacro %}
