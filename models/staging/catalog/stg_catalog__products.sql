{#- The latest version of each key; its superseded versions are in stg_catalog__products_history. -#}
{{ change_stream_versions('base_catalog__products', versions='latest') }}
