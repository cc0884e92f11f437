{#- The rows of base_events__events that passed every check; the others are in its quarantine view. -#}
{{ clean_rows('base_events__events') }}
