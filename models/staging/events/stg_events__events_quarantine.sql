{#- The rows of base_events__events that failed a check; the others are in stg_events__events. -#}
{{ quarantined_rows('base_events__events', 'event_id', partition_column='dt') }}
