{#- The rows of base_privacy__erasure_requests that passed every check; the others are in its quarantine view. -#}
{{ clean_rows('base_privacy__erasure_requests') }}
