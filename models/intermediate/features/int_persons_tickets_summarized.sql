with

tickets as (
    select * from {{ ref('int_tickets_scored') }}
),

-- blocked identifiers (placeholders, shared inboxes) belong to nobody
identifiers as (
    select * from {{ ref('int_identifiers_retained') }}
    where person_id is not null
),

as_of as (
    select * from {{ ref('int_as_of_resolved') }}
),

person_tickets as (
    select
        identifiers.person_id,
        tickets.ticket_id,
        tickets.sentiment_compound,
        tickets.is_negative,
        tickets.mentioned_brands,
        tickets.mentioned_product_ids
    from tickets
    inner join identifiers
        on
            tickets.email_hash = identifiers.identifier_value
            and identifiers.identifier_type = 'email_hash'
    cross join as_of
    where tickets.created_at <= as_of.as_of_at
),

ticket_counts as (
    select
        person_id,
        count(distinct ticket_id) as ticket_count,
        {{ ordered_avg('sentiment_compound') }} as avg_ticket_sentiment,
        count(distinct case when is_negative then ticket_id end) as negative_ticket_count
    from person_tickets
    group by person_id
),

brand_mentions as (
    select distinct
        person_tickets.person_id,
        mentioned.brand
    from person_tickets
    {{ cross_join_unnest('person_tickets.mentioned_brands', 'mentioned', 'brand') }}
),

product_mentions as (
    select distinct
        person_tickets.person_id,
        mentioned.product_id
    from person_tickets
    {{ cross_join_unnest('person_tickets.mentioned_product_ids', 'mentioned', 'product_id') }}
),

brand_lists as (
    select
        person_id,
        {{ ordered_array_agg('brand', ['brand']) }} as mentioned_brands
    from brand_mentions
    group by person_id
),

product_lists as (
    select
        person_id,
        {{ ordered_array_agg('product_id', ['product_id']) }} as mentioned_product_ids
    from product_mentions
    group by person_id
),

final as (
    select
        ticket_counts.person_id,
        ticket_counts.ticket_count,
        ticket_counts.avg_ticket_sentiment,
        ticket_counts.negative_ticket_count,
        brand_lists.mentioned_brands,
        product_lists.mentioned_product_ids
    from ticket_counts
    left join brand_lists on ticket_counts.person_id = brand_lists.person_id
    left join product_lists on ticket_counts.person_id = product_lists.person_id
)

select * from final
