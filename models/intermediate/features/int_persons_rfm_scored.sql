with

orders as (
    select * from {{ ref('int_orders_priced') }}
),

as_of as (
    select * from {{ ref('int_as_of_resolved') }}
),

-- cancelled orders never happened for the customer; refunded ones did happen but earn nothing once the
-- refund is known (updated_at, the last status change, by the as-of time)
orders_until_as_of as (
    select
        orders.person_id,
        orders.ordered_at,
        orders.discount_share,
        orders.currency,
        as_of.as_of_date,
        case
            when orders.is_refunded and coalesce(orders.updated_at, orders.ordered_at) <= as_of.as_of_at then 0
            else orders.total_amount_usd
        end as net_amount_usd
    from orders
    cross join as_of
    where
        orders.person_id is not null
        and not orders.is_cancelled
        and orders.ordered_at <= as_of.as_of_at
),

per_person as (
    select
        person_id,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at,
        count(*) as frequency_orders,
        coalesce({{ ordered_sum('net_amount_usd') }}, 0) as monetary_usd,
        {{ ordered_avg('discount_share') }} as avg_discount_share,
        {{ datediff('cast(max(ordered_at) as date)', 'max(as_of_date)', 'day') }} as recency_days
    from orders_until_as_of
    group by person_id
),

-- quintiles by percent rank rather than ntile over a tie-broken order: equal behaviour always gets an
-- equal score (ties take the lower quintile), so scores cannot depend on person_id order
-- the currency a person pays in most often (ties: alphabetical), a hint of where they live
currency_ranked as (
    select
        person_id,
        currency,
        row_number() over (partition by person_id order by count(*) desc, currency) as currency_rank
    from orders_until_as_of
    where currency is not null
    group by person_id, currency
),

scored as (
    select
        person_id,
        first_order_at,
        last_order_at,
        recency_days,
        frequency_orders,
        monetary_usd,
        avg_discount_share,
        cast(least(5, 1 + floor(5 * percent_rank() over (order by recency_days desc))) as integer) as r_score,
        cast(least(5, 1 + floor(5 * percent_rank() over (order by frequency_orders))) as integer) as f_score,
        cast(least(5, 1 + floor(5 * percent_rank() over (order by monetary_usd))) as integer) as m_score
    from per_person
),

final as (
    select
        scored.*,
        currency_ranked.currency as primary_order_currency,
        cast(scored.r_score as string)
        || cast(scored.f_score as string)
        || cast(scored.m_score as string) as rfm_cell,
        scored.monetary_usd / scored.frequency_orders as avg_order_value_usd
    from scored
    left join currency_ranked
        on
            scored.person_id = currency_ranked.person_id
            and currency_ranked.currency_rank = 1
)

select * from final
