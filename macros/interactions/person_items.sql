{#- One row per person and item from weighted interactions (int_interactions_weighted's columns): the decayed
    weight and the count of each interaction type, first and last interaction, last unreversed purchase.
    int_person_items_summed and the consent-filtered training data (int_interactions_consented) both aggregate
    with it, so the two compare row for row. Each weight term is fixed to 9 decimals and summed as a
    decimal: an exact sum does not depend on the order the engine adds the terms in (a float sum can differ
    in the last bit between two equal builds, or between an incremental and a full one). -#}
{% macro aggregate_person_items(relation) -%}
    select
        person_id,
        item_id,
        sum(cast(weight as decimal(18, 9))) as interaction_weight,
        sum(case when interaction_type = 'product_view' then 1 else 0 end) as view_count,
        sum(case when interaction_type = 'recommendation_click' then 1 else 0 end) as recommendation_click_count,
        sum(case when interaction_type = 'add_to_cart' then 1 else 0 end) as cart_count,
        sum(case when interaction_type = 'remove_from_cart' then 1 else 0 end) as cart_removal_count,
        sum(case when interaction_type = 'checkout_start' then 1 else 0 end) as checkout_start_count,
        sum(case when interaction_type = 'purchase' then 1 else 0 end) as purchase_count,
        sum(case when interaction_type = 'refund' then 1 else 0 end) as refund_count,
        min(occurred_at) as first_interaction_at,
        max(occurred_at) as last_interaction_at,
        max(case when interaction_type = 'purchase' and not is_reversed then occurred_at end) as last_purchased_at
    from {{ relation }}
    group by
        person_id,
        item_id
{%- endmacro %}


{#- The published columns of one person x item row (aggregate_person_items' output): the row key, weights
    rounded to 6 decimals for readers (the exact decimal sum makes them reproducible) and typed counts and
    times. int_person_items_summed and int_interactions_consented both project with it, so the two compare
    row for row. -#}
{% macro person_item_columns(relation) -%}
    cast({{ sha256_hex(relation ~ ".person_id || '|' || " ~ relation ~ ".item_id") }} as string) as person_item_id,
    cast({{ relation }}.person_id as string) as person_id,
    cast({{ relation }}.item_id as string) as item_id,
    cast(round({{ relation }}.interaction_weight, 6) as double) as interaction_weight,
    cast({{ relation }}.view_count as bigint) as view_count,
    cast({{ relation }}.recommendation_click_count as bigint) as recommendation_click_count,
    cast({{ relation }}.cart_count as bigint) as cart_count,
    cast({{ relation }}.cart_removal_count as bigint) as cart_removal_count,
    cast({{ relation }}.checkout_start_count as bigint) as checkout_start_count,
    cast({{ relation }}.purchase_count as bigint) as purchase_count,
    cast({{ relation }}.refund_count as bigint) as refund_count,
    cast({{ relation }}.last_purchased_at is not null as boolean) as has_purchased,
    cast({{ relation }}.first_interaction_at as timestamp) as first_interaction_at,
    cast({{ relation }}.last_interaction_at as timestamp) as last_interaction_at,
    cast({{ relation }}.last_purchased_at as timestamp) as last_purchased_at
{%- endmacro %}
