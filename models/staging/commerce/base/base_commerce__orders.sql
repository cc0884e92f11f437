{{ config(materialized='ephemeral') }}

{#- Not a table, unlike its order lines' base model: an order line is erased through its order
    (erasure_records: parent), found by is_erased_record on this model's identifiers, which a stored and
    redacted orders table would no longer hold. -#}
with

{{ change_stream_copies('commerce', 'orders', 'order_id', 'updated_at') }},

renamed as (

    select
        {{ record_bytes('numbered') }} as record_bytes,
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ pseudonymize(normalize_email('email')) }} as email_hash,
        lower({{ clean_text('status') }}) as order_status,
        {{ currency_code('currency') }} as currency,
        {{ try_cast_as('subtotal', 'double') }} as subtotal,
        {{ try_cast_as('discount', 'double') }} as discount_amount,
        {{ try_cast_as('shipping', 'double') }} as shipping_amount,
        {{ try_cast_as('total_amount', 'double') }} as total_amount,
        {{ try_parse_timestamp('created_at') }} as ordered_at,
        {{ try_parse_timestamp('updated_at') }} as updated_at,
        {{ clean_text('updated_at') }} is not null as has_updated_at_text,
        filename,
        file_row_number,
        copy_number,
        {{ json_object_text(landed_fields('commerce', 'orders', {
            'email': pseudonymize(normalize_email('email')),
        })) }} as raw_record

    from numbered

),

converted as (

    {{ with_usd_amounts('renamed', [('total_amount', 'total_amount_usd')]) }}

),

validated as (

    select
        *,
        order_status = 'refunded' as is_refunded,
        order_status = 'cancelled' as is_cancelled,
        {{ quarantine_reason([
            oversized_record_check(),
            ('missing_order_id', 'order_id is null'),
            ('duplicate_order_id', 'copy_number > 1'),
            ('missing_customer_id', 'customer_id is null'),
            ('invalid_timestamp', 'ordered_at is null or (has_updated_at_text and updated_at is null)'),
            implausible_timestamp_check(['ordered_at', 'updated_at']),
            ('unknown_currency', 'not is_known_currency'),
            ('negative_amount', 'subtotal < 0 or discount_amount < 0 or shipping_amount < 0 or total_amount < 0'),
            ('total_mismatch', 'abs(total_amount - (subtotal - coalesce(discount_amount, 0) + coalesce(shipping_amount, 0))) > '
                ~ var('order_total_tolerance')),
        ]) }} as quarantine_reason

    from converted

),

final as (

    select
        *,
        {{ is_latest_version('order_id') }} as is_latest_version

    from validated

)

select * from final
