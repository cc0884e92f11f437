{{ config(materialized='ephemeral') }}

{#- Not a table: an order line is erased through its order (erasure_records: parent), whose base model is
    ephemeral; a stored table's redaction hook could not read it. -#}
with

{{ landed_copies('commerce', 'order_items', clean_text('order_item_id')) }},

orders as (

    select order_id from {{ ref('base_commerce__orders') }}
    where is_latest_version

),

products as (

    select product_id from {{ ref('base_catalog__products') }}
    where is_latest_version

),

renamed as (

    select
        {{ record_bytes('numbered') }} as record_bytes,
        {{ clean_text('order_item_id') }} as order_item_id,
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('product_id') }} as product_id,
        {{ try_cast_as('quantity', 'integer') }} as quantity,
        {{ try_cast_as('unit_price', 'double') }} as unit_price,
        filename,
        file_row_number,
        copy_number,
        {{ json_object_text(landed_fields('commerce', 'order_items')) }} as raw_record

    from numbered

),

joined as (

    select
        renamed.*,
        renamed.quantity * renamed.unit_price as line_amount,
        orders.order_id is not null as has_known_order,
        products.product_id is not null as has_known_product

    from renamed
    left join orders
        on renamed.order_id = orders.order_id
    left join products
        on renamed.product_id = products.product_id

),

final as (

    select
        *,
        {{ quarantine_reason([
            oversized_record_check(),
            ('missing_order_item_id', 'order_item_id is null'),
            ('duplicate_order_item_id', 'copy_number > 1'),
            ('orphan_order_id', 'not has_known_order'),
            ('orphan_product_id', 'not has_known_product'),
            ('non_positive_quantity', 'quantity is null or quantity <= 0'),
            ('negative_amount', 'unit_price < 0'),
        ]) }} as quarantine_reason

    from joined

)

select * from final
