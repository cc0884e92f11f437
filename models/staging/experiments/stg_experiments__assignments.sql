with

assignments as (

    select * from {{ ref('base_experiments__assignments') }}

),

final as (

    select
        assignment_id,
        experiment_id,
        variant,
        unit_type,
        unit_id,
        assigned_at

    from assignments
    where quarantine_reason is null and not {{ is_erased_record('base_experiments__assignments') }}

)

select * from final
