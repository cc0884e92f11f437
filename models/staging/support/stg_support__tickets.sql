with

tickets as (

    select * from {{ ref('base_support__tickets') }}

),

final as (

    select
        ticket_id,
        email_hash,
        channel,
        created_at,
        subject,
        body

    from tickets
    where quarantine_reason is null and not {{ is_erased_record('base_support__tickets') }}

)

select * from final
