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


{#- An interaction's weight decayed from `occurred_at` to `at`, halving every interaction_half_life_days and
    fixed to 9 decimals (the terms aggregate_person_items sums exactly): the refit input decays to the refit
    instant as int_interactions_weighted decays to the as-of date. -#}
{% macro decayed_weight(base_weight, occurred_at, at) -%}
    round(
        {{ base_weight }} * exp(
            -ln(2) * greatest({{ datediff(occurred_at, at, 'second') }}, 0) / 86400.0
            / {{ var('interaction_half_life_days') }}
        ),
        9
    )
{%- endmacro %}
