{#- The published columns of a change stream (a source whose rows are versions of a key, each with its
    update time), in order. The clean model and the history model of a stream publish the same columns;
    they differ only in the versions they keep (change_stream_versions). -#}
{% macro change_stream_columns(base_model) -%}
    {%- set columns = {
        'base_catalog__products': [
            'product_id', 'title', 'description', 'category', 'brand', 'price', 'currency', 'price_usd',
            'tags', 'is_active', 'created_at', 'updated_at',
        ],
        'base_commerce__orders': [
            'order_id', 'customer_id', 'email_hash', 'order_status', 'is_refunded', 'is_cancelled',
            'currency', 'subtotal', 'discount_amount', 'shipping_amount', 'total_amount', 'total_amount_usd',
            'ordered_at', 'updated_at',
        ],
        'base_crm__contacts': [
            'contact_id', 'email_hash', 'has_email', 'phone_hash', 'birth_year', 'is_birthdate_implausible',
            'gender', 'country_code', 'loyalty_tier', 'is_email_opted_out', 'created_at', 'updated_at',
        ],
    } -%}
    {%- if base_model not in columns -%}
        {{ exceptions.raise_compiler_error(
            "change_stream_columns: unknown change stream '" ~ base_model ~ "'; known: "
            ~ (columns.keys() | sort | join(', '))) }}
    {%- endif -%}
    {{ return(columns[base_model]) }}
{%- endmacro %}

{#- One model over a change stream's base model: its published columns, for the versions asked for.
    'latest': the latest version of each key (the clean model; a quarantined row is never the latest,
    see is_latest_version). 'earlier': the valid versions that a later valid version of the same key
    superseded (the history model). Neither holds a record of an erased person (is_erased_record): it is in
    the quarantine model. -#}
{% macro change_stream_versions(base_model, versions) -%}
    {%- set conditions = {
        'latest': 'is_latest_version',
        'earlier': 'quarantine_reason is null and not is_latest_version',
    } -%}
    {%- if versions not in conditions -%}
        {{ exceptions.raise_compiler_error(
            "change_stream_versions: versions must be 'latest' or 'earlier', got '" ~ versions ~ "'") }}
    {%- endif -%}
    {%- set stream = base_model.split('__')[-1] -%}
with

{{ stream }} as (

    select * from {{ ref(base_model) }}

),

final as (

    select
        {%- for column in change_stream_columns(base_model) %}
        {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}

    from {{ stream }}
    where {{ conditions[versions] }} and not {{ is_erased_record(base_model) }}

)

select * from final
{%- endmacro %}

{#- The head of a change stream's base model: the landed source and `numbered`, its rows with copy_number
    by version (version_copy_key: the key and its update time text), so that copy_number > 1 is a later
    copy of a version already landed. The model goes on from `numbered`. -#}
{% macro change_stream_copies(source_name, table_name, key, updated_at) -%}
source as {{ not_materialized() }} (

    select * from {{ source(source_name, table_name) }}

),

numbered as (

    {{ number_copies(
        'source',
        version_copy_key(clean_text(key), clean_text(updated_at)),
        landing_row_order(source_name, 'source'),
    ) }}

)
{%- endmacro %}
