with

assignments as (

    select * from {{ ref('base_experiments__assignments') }}

),

final as (

    select
        assignment_id,
        quarantine_reason,
        raw_record

    from assignments
    where quarantine_reason is not null

)

select * from final
