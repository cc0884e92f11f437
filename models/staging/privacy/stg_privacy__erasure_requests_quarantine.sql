{#- The rows of base_privacy__erasure_requests that failed a check; the others are in stg_privacy__erasure_requests. -#}
{{ quarantined_rows('base_privacy__erasure_requests', 'request_id') }}
