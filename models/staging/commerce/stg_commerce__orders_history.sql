{#- Superseded valid versions of each key; the latest is in stg_commerce__orders. -#}
{{ change_stream_versions('base_commerce__orders', versions='earlier') }}
