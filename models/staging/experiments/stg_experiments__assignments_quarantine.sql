{#- The rows of base_experiments__assignments that failed a check; the others are in stg_experiments__assignments. -#}
{{ quarantined_rows('base_experiments__assignments', 'assignment_id') }}
