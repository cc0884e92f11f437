{#- The rows of base_experiments__assignments that passed every check; the others are in its quarantine view. -#}
{{ clean_rows('base_experiments__assignments', erased_by_reader=true) }}
