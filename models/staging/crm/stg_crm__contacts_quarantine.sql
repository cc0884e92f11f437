{#- The rows of base_crm__contacts that failed a check; the others are in stg_crm__contacts. -#}
{{ quarantined_rows('base_crm__contacts', 'contact_id') }}
