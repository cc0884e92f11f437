{#- birth_year only feeds age_band: the coarser band is all that leaves this model -#}
{%- set attributes = ['birth_year', 'gender', 'country_code', 'loyalty_tier'] -%}
with

-- blocked identifiers (placeholders, shared inboxes) belong to nobody
identifiers as (
    select * from {{ ref('int_identifiers_retained') }}
    where person_id is not null
),

contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

as_of as (
    select * from {{ ref('int_as_of_resolved') }}
),

identifier_counts as (
    select
        person_id,
        count(distinct case when identifier_type = 'anonymous_id' then identifier_value end) as anonymous_id_count,
        count(distinct case when identifier_type = 'user_id' then identifier_value end) as user_id_count,
        count(distinct case when identifier_type = 'email_hash' then identifier_value end) as email_count,
        count(distinct case when identifier_type = 'crm_contact_id' then identifier_value end) as crm_contact_count
    from identifiers
    group by person_id
),

-- 'unknown' gender is a form default, not an answer: it must not hide an older, real value
person_contacts as (
    select
        identifiers.person_id,
        contacts.contact_id,
        contacts.updated_at,
        contacts.birth_year,
        nullif(contacts.gender, 'unknown') as gender,
        contacts.country_code,
        contacts.loyalty_tier,
        contacts.is_email_opted_out
    from identifiers
    inner join contacts on identifiers.identifier_value = contacts.contact_id
    where identifiers.identifier_type = 'crm_contact_id'
),

{% for attribute in attributes %}
-- duplicate contacts disagree: the most recently updated non-null value wins
latest_{{ attribute }} as (
    select
        person_id,
        {{ attribute }},
        row_number() over (
            partition by person_id order by updated_at desc nulls last, contact_id desc
        ) as recency_rank
    from person_contacts
    where {{ attribute }} is not null
),

{% endfor %}
opt_outs as (
    -- one opted-out contact is enough: an opt-out is never overridden by a duplicate record
    select
        person_id,
        max(case when is_email_opted_out then 1 else 0 end) = 1 as is_email_opted_out
    from person_contacts
    group by person_id
),

final as (
    select
        identifier_counts.person_id,
        identifier_counts.anonymous_id_count,
        identifier_counts.user_id_count,
        identifier_counts.email_count,
        identifier_counts.crm_contact_count,
        identifier_counts.user_id_count > 0 as has_user_id,
        identifier_counts.email_count > 0 as has_email,
        {% for attribute in attributes if attribute != 'birth_year' -%}
        latest_{{ attribute }}.{{ attribute }},
        {% endfor -%}
        case
            when latest_birth_year.birth_year is null then null
            when extract(year from as_of.as_of_date) - latest_birth_year.birth_year < 18 then 'under_18'
            when extract(year from as_of.as_of_date) - latest_birth_year.birth_year < 25 then '18-24'
            when extract(year from as_of.as_of_date) - latest_birth_year.birth_year < 35 then '25-34'
            when extract(year from as_of.as_of_date) - latest_birth_year.birth_year < 45 then '35-44'
            when extract(year from as_of.as_of_date) - latest_birth_year.birth_year < 55 then '45-54'
            when extract(year from as_of.as_of_date) - latest_birth_year.birth_year < 65 then '55-64'
            else '65+'
        end as age_band,
        coalesce(opt_outs.is_email_opted_out, false) as is_email_opted_out
    from identifier_counts
    cross join as_of
    {% for attribute in attributes -%}
    left join latest_{{ attribute }}
        on
            identifier_counts.person_id = latest_{{ attribute }}.person_id
            and latest_{{ attribute }}.recency_rank = 1
    {% endfor -%}
    left join opt_outs on identifier_counts.person_id = opt_outs.person_id
)

select * from final
