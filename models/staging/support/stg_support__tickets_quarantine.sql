{#- The rows of base_support__tickets that failed a check; the others are in stg_support__tickets. -#}
{{ quarantined_rows('base_support__tickets', 'ticket_id') }}
