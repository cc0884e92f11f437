{#- The rows of base_web__pages that passed every check; the others are in its quarantine view. -#}
{{ clean_rows('base_web__pages') }}
