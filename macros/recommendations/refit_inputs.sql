{#- The catalog columns the recommenders read, from a relation with stg_catalog__products' columns:
    int_recommendation_items_prepared (today's catalog) and int_recommendation_items_refit (the catalog as
    of the refit instant) both project with it, so the two compare column for column. -#}
{% macro recommendation_item_columns(relation) -%}
    cast({{ relation }}.product_id as string) as item_id,
    cast({{ relation }}.title as string) as title,
    cast({{ relation }}.description as string) as description,
    cast({{ relation }}.category as string) as category,
    cast({{ relation }}.brand as string) as brand,
    cast({{ relation }}.tags as {{ array_type('string') }}) as tags,
    cast({{ relation }}.price_usd as double) as price_usd,
    cast(coalesce({{ relation }}.is_active, false) as boolean) as is_active
{%- endmacro %}
