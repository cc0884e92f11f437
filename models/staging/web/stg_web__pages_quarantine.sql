{#- The rows of base_web__pages that failed a check; the others are in stg_web__pages. -#}
{{ quarantined_rows('base_web__pages', 'page_view_id', partition_column='dt') }}
