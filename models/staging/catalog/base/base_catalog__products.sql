{{ config(materialized='ephemeral') }}

with

{{ change_stream_copies('catalog', 'products', 'product_id', 'updated_at') }},

renamed as (

    select
        {{ record_bytes('numbered') }} as record_bytes,
        {{ clean_text('product_id') }} as product_id,
        {{ clean_text('title') }} as title,
        {{ clean_text('description') }} as description,
        {{ clean_text('category') }} as category,
        {{ clean_text('brand') }} as brand,
        {{ try_cast_as('price', 'double') }} as price,
        {{ currency_code('currency') }} as currency,
        {{ split_to_array('tags', '|') }} as tags,
        {{ try_cast_as('is_active', 'boolean') }} as is_active,
        {{ try_parse_timestamp('created_at') }} as created_at,
        {{ try_parse_timestamp('updated_at') }} as updated_at,
        filename,
        file_row_number,
        copy_number,
        {{ json_object_text(landed_fields('catalog', 'products')) }} as raw_record

    from numbered

),

converted as (

    {{ with_usd_amounts('renamed', [('price', 'price_usd')]) }}

),

validated as (

    select
        *,
        {{ quarantine_reason([
            oversized_record_check(),
            ('missing_product_id', 'product_id is null'),
            ('duplicate_product_id', 'copy_number > 1'),
            ('negative_price', 'price < 0'),
            implausible_timestamp_check(['created_at', 'updated_at']),
        ]) }} as quarantine_reason

    from converted

),

final as (

    select
        *,
        {{ is_latest_version('product_id') }} as is_latest_version

    from validated

)

select * from final
