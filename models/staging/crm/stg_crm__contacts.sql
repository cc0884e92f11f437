{#- The latest version of each key; its superseded versions are in stg_crm__contacts_history. -#}
{{ change_stream_versions('base_crm__contacts', versions='latest') }}
