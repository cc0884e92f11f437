with

tickets as (

    select * from {{ ref('base_support__tickets') }}

),

final as (

    select
        ticket_id,
        quarantine_reason,
        raw_record

    from tickets
    where quarantine_reason is not null

)

select * from final
