{#- Superseded valid versions of each key; the latest is in stg_catalog__products. -#}
{{ change_stream_versions('base_catalog__products', versions='earlier') }}
