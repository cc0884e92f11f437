with

contacts as (

    select * from {{ ref('base_crm__contacts') }}

),

final as (

    select
        contact_id,
        email_hash,
        has_email,
        phone_hash,
        birth_year,
        is_birthdate_implausible,
        gender,
        country_code,
        loyalty_tier,
        is_email_opted_out,
        created_at,
        updated_at

    from contacts
    -- valid versions that a later valid version of the same key superseded
    where quarantine_reason is null and not is_latest_version

)

select * from final
