{#- The rows of base_commerce__order_items that failed a check; the others are in stg_commerce__order_items. -#}
{{ quarantined_rows('base_commerce__order_items', 'order_item_id') }}
