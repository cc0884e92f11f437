{#- Superseded valid versions of each key; the latest is in stg_crm__contacts. -#}
{{ change_stream_versions('base_crm__contacts', versions='earlier') }}
