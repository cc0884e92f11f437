{#- The rows of base_catalog__products that failed a check; the others are in stg_catalog__products. -#}
{{ quarantined_rows('base_catalog__products', 'product_id') }}
