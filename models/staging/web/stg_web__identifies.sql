with

identifies as (

    select * from {{ ref('base_web__identifies') }}

),

final as (

    select
        identify_id,
        anonymous_id,
        user_id,
        email_hash,
        identified_at,
        received_at,
        dt

    from identifies
    where quarantine_reason is null

)

select * from final
