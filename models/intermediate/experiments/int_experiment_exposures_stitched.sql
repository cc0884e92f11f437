{{ config(tags=['person_level']) }}

{#- The segment a readout is broken down by: a column of int_persons_attributes_resolved. -#}
{%- set segment_attribute = var('experiment_segment_attribute', 'loyalty_tier') %}

with

assignments as (
    select * from {{ ref('stg_experiments__assignments') }}
),

identifiers as (
    select * from {{ ref('int_identifiers_retained') }}
),

tombstones as (
    select * from {{ ref('int_erasure_tombstones') }}
),

person_attributes as (
    select * from {{ ref('int_persons_attributes_resolved') }}
),

-- the unit of analysis is the person the randomized identifier resolves to; an identifier that resolves to
-- nobody (never seen elsewhere, or a blocked placeholder) stays a unit of its own
assignments_resolved as (
    select
        assignments.assignment_id,
        assignments.experiment_id,
        assignments.variant,
        assignments.assigned_at,
        identifiers.person_id,
        coalesce(identifiers.person_id, assignments.unit_type || ':' || assignments.unit_id) as experiment_unit_id
    from assignments
    left join identifiers
        on
            assignments.unit_type = identifiers.identifier_type
            and assignments.unit_id = identifiers.identifier_value
    -- an erased person's assignments leave the experiment rather than become anonymous units
    where not (
        (assignments.unit_type = 'user_id' and {{ is_tombstoned('assignments.unit_id', 'user_id') }})
        or (assignments.unit_type = 'anonymous_id' and {{ is_tombstoned('assignments.unit_id', 'anonymous_id') }})
    )
),

exposures as (
    select
        experiment_id,
        experiment_unit_id,
        variant,
        max(person_id) as person_id,
        count(*) as assignment_count,
        min(assigned_at) as first_assigned_at
    from assignments_resolved
    group by
        experiment_id,
        experiment_unit_id,
        variant
),

-- a person reached on two devices can hold both arms: counted here, excluded by the readout
units as (
    select
        experiment_id,
        experiment_unit_id,
        count(*) as unit_variant_count,
        min(first_assigned_at) as unit_first_assigned_at
    from exposures
    group by
        experiment_id,
        experiment_unit_id
),

final as (
    select
        exposures.experiment_id || '|' || exposures.experiment_unit_id || '|' || exposures.variant
            as experiment_exposure_id,
        exposures.experiment_id,
        exposures.experiment_unit_id,
        exposures.person_id,
        exposures.variant,
        exposures.assignment_count,
        units.unit_variant_count,
        units.unit_variant_count > 1 as is_multiple_variant_unit,
        exposures.person_id is not null as is_person_resolved,
        coalesce(cast(person_attributes.{{ segment_attribute }} as string), 'unknown') as segment,
        exposures.first_assigned_at,
        units.unit_first_assigned_at
    from exposures
    inner join units
        on
            exposures.experiment_id = units.experiment_id
            and exposures.experiment_unit_id = units.experiment_unit_id
    left join person_attributes
        on exposures.person_id = person_attributes.person_id
)

select * from final
