{#- The rows of base_web__identifies that failed a check; the others are in stg_web__identifies. -#}
{{ quarantined_rows('base_web__identifies', 'identify_id', partition_column='dt') }}
