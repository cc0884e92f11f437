{#- The rows of base_commerce__order_items that passed every check; the others are in its quarantine view. -#}
{{ clean_rows('base_commerce__order_items', erased_by_reader=true) }}
