{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='extract_name',
        on_schema_change='fail',
        full_refresh=false,
    )
}}

{#- When the project first had each version of each snapshot-extract record (snapshot_extracts), one row per
    extract x record x version. A version already there on the store's first build has no arrival (it is known
    from its own time: nothing earlier was known); a version first seen by a later build arrived at that
    build's as-of instant. Each build writes every extract's rows again: the versions in the clean staging
    models, and the stored versions of records still there that today's extract no longer holds (a snapshot
    keeps a record's latest version only). A record that left them leaves the store; an erased person's leave
    it on the build that first sees the request, by the run-end erasure hook (sync_and_apply_erasure: staging
    still held them while this model ran). full_refresh=false: a --full-refresh keeps what was learnt when (drop the table to reset),
    so it reads the same arrivals as the daily builds. -#}
-- depends_on: {{ ref('int_as_of_resolved') }}
with

listed as (
    {{ extract_versions() }}
),

versions as (
    select
        *,
        {{ extract_version_id('extract_name', 'record_id', 'version_at') }} as extract_version_id
    from listed
),

{% if is_incremental() %}

as_of as (
    select * from {{ ref('int_as_of_resolved') }}
),

stored as (
    select * from {{ this }}
),

current_records as (
    select distinct
        extract_name,
        record_id
    from versions
),

-- a version today's extract no longer holds (a snapshot keeps only a record's latest version) keeps its row
-- while the record is still there: the record's first arrival is its earliest version's
superseded as (
    select
        stored.extract_name,
        stored.record_id,
        stored.version_at,
        stored.extract_version_id,
        stored.arrived_at
    from stored
    inner join current_records
        on
            stored.extract_name = current_records.extract_name
            and stored.record_id = current_records.record_id
    left join versions
        on stored.extract_version_id = versions.extract_version_id
    where versions.extract_version_id is null
),

arrivals as (
    select
        versions.extract_name,
        versions.record_id,
        versions.version_at,
        versions.extract_version_id,
        case
            when stored.extract_version_id is null then as_of.as_of_at
            else stored.arrived_at
        end as arrived_at
    from versions
    cross join as_of
    left join stored
        on versions.extract_version_id = stored.extract_version_id
    union all
    select * from superseded
),

{% else %}

arrivals as (
    select
        versions.*,
        cast(null as timestamp) as arrived_at
    from versions
),

{% endif %}

final as (
    select
        cast(extract_version_id as string) as extract_version_id,
        cast(extract_name as string) as extract_name,
        cast(record_id as string) as record_id,
        cast(version_at as timestamp) as version_at,
        cast(arrived_at as timestamp) as arrived_at
    from arrivals
)

select * from final
