with

erasure_requests as (

    select * from {{ ref('base_privacy__erasure_requests') }}

),

final as (

    select
        request_id,
        quarantine_reason,
        raw_record

    from erasure_requests
    where quarantine_reason is not null

)

select * from final
