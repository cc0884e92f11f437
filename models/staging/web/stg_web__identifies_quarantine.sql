with

identifies as (

    select * from {{ ref('base_web__identifies') }}

),

final as (

    select
        identify_id,
        quarantine_reason,
        raw_record,
        dt

    from identifies
    where quarantine_reason is not null

)

select * from final
