{#- The latest version of each key; its superseded versions are in stg_commerce__orders_history. -#}
{{ change_stream_versions('base_commerce__orders', versions='latest') }}
