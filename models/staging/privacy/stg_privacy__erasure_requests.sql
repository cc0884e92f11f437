with

erasure_requests as (

    select * from {{ ref('base_privacy__erasure_requests') }}

),

final as (

    select
        request_id,
        identifier_type,
        identifier_key,
        requested_at

    from erasure_requests
    where quarantine_reason is null

)

select * from final
