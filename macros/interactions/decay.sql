{#- Interaction decay, stored undecayed and applied when read. A weight halves every interaction_half_life_days:
    base * 2^(-(at - t) / h). Split at the midnight (UTC) d of the day the interaction occurred on:
    base * 2^((t - d) / h) * 2^(-(at - d) / h). The first factor (anchored_decay_factor) does not move with
    the as-of date, so it is stored once (int_item_events_anchored); it lies in [1, 2^(1 / h)), so a
    decimal(18, 15) holds it to a double's precision however long the history (a fixed project-wide anchor
    would overflow a decimal(38, 9) about 96 half-lives past it, 8 years at 30 days). The second factor is applied by the reader (decay_anchored_weight), which rounds to the 9
    decimals aggregate_person_items sums exactly. -#}

{#- 2^((occurred_at - its midnight) / half-life), fixed to 15 decimals: the as-of-free part of the decay. -#}
{% macro anchored_decay_factor(occurred_at) -%}
    cast(
        round(
            exp(
                ln(2) * {{ days_between(date_trunc('day', occurred_at), occurred_at) }}
                / {{ var('interaction_half_life_days') }}
            ),
            15
        ) as decimal(18, 15)
    )
{%- endmacro %}


{#- An interaction's weight decayed to `at` from its stored anchored factor, fixed to 9 decimals (the terms
    aggregate_person_items sums exactly): base * factor * 2^(-(at - midnight) / h). An interaction at or
    after `at` (a client clock ahead of it) keeps its base weight: the decay never grows a weight. -#}
{% macro decay_anchored_weight(base_weight, anchored_factor, occurred_at, at) -%}
    round(
        case
            when {{ occurred_at }} >= {{ at }} then {{ base_weight }}
            else {{ base_weight }} * {{ anchored_factor }} * exp(
                -ln(2) * {{ days_between(date_trunc('day', occurred_at), at) }}
                / {{ var('interaction_half_life_days') }}
            )
        end,
        9
    )
{%- endmacro %}


{#- An interaction's base weight decayed from `occurred_at` to `at`, computed as the stored form would be
    (anchored_decay_factor, then decay_anchored_weight), so a weight decayed here equals one decayed from
    the stored factor: purchases and refunds, and the refit input decaying to its refit instant. -#}
{% macro decayed_weight(base_weight, occurred_at, at) -%}
    {{ decay_anchored_weight(base_weight, anchored_decay_factor(occurred_at), occurred_at, at) }}
{%- endmacro %}
