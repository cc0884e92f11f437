{#- The rows of base_web__identifies that passed every check; the others are in its quarantine view. -#}
{{ clean_rows('base_web__identifies') }}
