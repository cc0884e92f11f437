{{ config(tags=['person_level']) }}

with

identifiers as (
    select * from {{ ref('int_identifiers_retained') }}
),

final as (
    select
        cast(identifier_type as string) as identifier_type,
        cast(identifier_value as string) as identifier_value,
        cast(person_id as string) as person_id,
        cast(is_person_anchor as boolean) as is_person_anchor,
        cast(attached_via_edge_source as string) as attached_via,
        cast(attached_via_identifier as string) as attached_via_identifier,
        cast(first_seen_at as timestamp) as first_seen_at,
        cast(last_seen_at as timestamp) as last_seen_at
    from identifiers
    where not is_blocked
)

select * from final
