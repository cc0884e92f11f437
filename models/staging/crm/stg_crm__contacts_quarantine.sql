with

contacts as (

    select * from {{ ref('base_crm__contacts') }}

),

final as (

    select
        contact_id,
        quarantine_reason,
        raw_record

    from contacts
    where quarantine_reason is not null

)

select * from final
