with

pages as (

    select * from {{ ref('base_web__pages') }}

),

final as (

    select
        page_view_id,
        quarantine_reason,
        raw_record,
        dt

    from pages
    where quarantine_reason is not null

)

select * from final
