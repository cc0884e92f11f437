{#- The rows of base_privacy__consent_events that failed a check; the others are in stg_privacy__consent_events. -#}
{{ quarantined_rows('base_privacy__consent_events', 'consent_event_id') }}
