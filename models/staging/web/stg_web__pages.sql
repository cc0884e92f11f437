with

pages as (

    select * from {{ ref('base_web__pages') }}

),

final as (

    select
        page_view_id,
        anonymous_id,
        user_id,
        viewed_at,
        received_at,
        page_url,
        page_path,
        referrer,
        referrer_host,
        page_title,
        device_type,
        dt,
        landing_fingerprint

    from pages
    where quarantine_reason is null

)

select * from final
