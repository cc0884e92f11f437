{{ config(materialized='table') }}

{#- A table for the reason base_crm__contacts gives: its clean, history and quarantine views and their readers
    would otherwise each read and validate the landed extract again. -#}

with

{{ landed_copies('experiments', 'assignments', clean_text('assignment_id')) }},

experiment_registry as (

    select * from {{ ref('experiment_registry') }}

),

renamed as (

    select
        {{ record_bytes('numbered') }} as record_bytes,
        {{ clean_text('assignment_id') }} as assignment_id,
        {{ clean_text('experiment_id') }} as experiment_id,
        {{ clean_text('variant') }} as variant,
        lower({{ clean_text('unit_type') }}) as unit_type,
        {{ clean_text('unit_id') }} as unit_id,
        {{ try_parse_timestamp('assigned_at') }} as assigned_at,
        filename,
        file_row_number,
        copy_number,
        {{ json_object_text(landed_fields('experiments', 'assignments')) }} as raw_record

    from numbered

),

registered as (

    select
        renamed.*,
        experiment_registry.experiment_id is not null as is_registered_experiment

    from renamed
    left join experiment_registry
        on renamed.experiment_id = experiment_registry.experiment_id

),

final as (

    select
        *,
        {{ quarantine_reason([
            oversized_record_check(),
            ('missing_assignment_id', 'assignment_id is null'),
            ('duplicate_assignment_id', 'copy_number > 1'),
            ('missing_unit_id', 'unit_id is null'),
            ('unknown_experiment', 'not is_registered_experiment'),
            ('invalid_timestamp', 'assigned_at is null'),
            implausible_timestamp_check(['assigned_at']),
        ]) }} as quarantine_reason

    from registered

)

select * from final
