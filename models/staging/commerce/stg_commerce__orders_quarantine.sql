{#- The rows of base_commerce__orders that failed a check; the others are in stg_commerce__orders. -#}
{{ quarantined_rows('base_commerce__orders', 'order_id') }}
