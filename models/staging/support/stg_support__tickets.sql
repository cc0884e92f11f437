{#- The rows of base_support__tickets that passed every check; the others are in its quarantine view. -#}
{{ clean_rows('base_support__tickets', erased_by_reader=true) }}
