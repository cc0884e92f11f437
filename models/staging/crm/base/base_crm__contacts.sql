{{ config(materialized='table') }}

{#- A table, like the event streams' base models: the clean, history and quarantine views, their tests and the
    models reading them (about twenty readers) would otherwise each read the landed extract and de-duplicate
    and validate it again (0.5-0.9 CPU s a reader at scale m; orders and their lines stay ephemeral: an
    order line is erased through its order). One rebuild per run instead, redacted for erasure as it is
    built (redact_erased_rows). -#}

with

{{ change_stream_copies('crm', 'contacts', 'id', 'lastmodifieddate') }},

country_codes as (

    select * from {{ ref('country_codes') }}

),

renamed as (

    select
        {{ record_bytes('numbered') }} as record_bytes,
        {{ clean_text('id') }} as contact_id,
        {{ normalize_email('email') }} as email_normalized,
        {{ pseudonymize(normalize_email('email')) }} as email_hash,
        {{ pseudonymize(normalize_phone('phone')) }} as phone_hash,
        {{ try_cast_as('trim(birthdate)', 'date') }} as birth_date,
        lower({{ clean_text('genderidentity') }}) as gender_text,
        {{ country_match_key('mailingcountry') }} as country_key,
        lower({{ clean_text('loyalty_tier__c') }}) as loyalty_tier_text,
        {{ try_cast_as('hasoptedoutofemail', 'boolean') }} as is_email_opted_out,
        {{ try_parse_timestamp('createddate') }} as created_at,
        {{ try_parse_timestamp('lastmodifieddate') }} as updated_at,
        {{ clean_text('lastmodifieddate') }} is not null as has_updated_at_text,
        filename,
        file_row_number,
        copy_number,
        {{ json_object_text(landed_fields('crm', 'contacts', {
            'Email': pseudonymize(normalize_email('email')),
            'FirstName': pseudonymize('firstname'),
            'LastName': pseudonymize('lastname'),
            'Phone': pseudonymize(normalize_phone('phone')),
            'Birthdate': pseudonymize('birthdate'),
            'MailingCity': pseudonymize('mailingcity'),
        })) }} as raw_record

    from numbered

),

plausible as (

    select
        *,
        coalesce(
            birth_date > cast(coalesce(updated_at, created_at) as date)
            or birth_date < cast(coalesce(updated_at, created_at) as date) - interval {{ var('max_age_years') }} year,
            false
        ) as is_birthdate_implausible

    from renamed

),

standardized as (

    select
        renamed.*,
        -- an age outside 0..max_age_years when the record was written is a typo or a placeholder: no birth year
        -- is better than a guessed one
        case when not renamed.is_birthdate_implausible then extract(year from renamed.birth_date) end as birth_year,
        renamed.email_hash is not null as has_email,
        case
            when renamed.gender_text in ('female', 'f', 'woman', 'w') then 'female'
            when renamed.gender_text in ('male', 'm', 'man') then 'male'
            when renamed.gender_text in (
                'non_binary', 'non-binary', 'non binary', 'nonbinary', 'nb', 'enby', 'genderqueer'
            ) then 'non_binary'
            else 'unknown'
        end as gender,
        country_codes.country_code,
        case
            when renamed.loyalty_tier_text in {{ sql_text_list(known_values('loyalty_tier')) }}
                then renamed.loyalty_tier_text
        end as loyalty_tier

    from plausible as renamed
    left join country_codes
        on renamed.country_key = country_codes.country_alias

),

validated as (

    select
        *,
        {{ quarantine_reason([
            oversized_record_check(),
            ('missing_contact_id', 'contact_id is null'),
            ('duplicate_contact_id', 'copy_number > 1'),
            ('malformed_email', 'email_normalized is not null and not ' ~ is_valid_email('email_normalized')),
            ('invalid_timestamp', 'created_at is null or (has_updated_at_text and updated_at is null)'),
            implausible_timestamp_check(['created_at', 'updated_at']),
        ]) }} as quarantine_reason

    from standardized

),

final as (

    select
        *,
        {{ is_latest_version('contact_id') }} as is_latest_version

    from validated

)

select * from final
