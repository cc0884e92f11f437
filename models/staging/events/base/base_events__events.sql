{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **replace_partitions_config('dt')
    )
}}

{#- A table, unlike the other base models: this stream is the largest input, and the clean view, the
    quarantine view, their tests and the models reading them would otherwise each scan and de-duplicate
    the landing files again. Incremental by arrival partition: a run re-reads the partitions from the
    first one whose landed rows changed (landing_reprocess_window), and replaces them whole. A key stored
    from an earlier partition makes its copy in a re-read one a duplicate, so the first landed copy wins
    exactly as in a full refresh (copies are ordered by partition first). Only quarantined rows keep their
    raw_record. -#}
{#- the landed row, kept as JSON text on quarantined rows only -#}
{%- set raw_fields = landed_fields('events', 'events', prefix='raw__') %}

{#- the tracking plan's property keys that staging exposes as columns -#}
{%- set property_keys = ['percent', 'seconds', 'query', 'feature', 'slot'] %}

with

source as {{ not_materialized() }} (

    select * from {{ source('events', 'events') }}

),

products as (

    select product_id from {{ ref('base_catalog__products') }}
    where is_latest_version

),

{# an event quarantined for an unknown product is validated again once the catalog knows the product #}
{{ incremental_landing('source', 'event_id', landing_table=['events', 'events'], also_changed=[
    "select dt as partition_value from " ~ this ~ " where quarantine_reason = 'orphan_item_id'"
    ~ " and item_id in (select products.product_id from products)",
]) }},

numbered as (

    {#- copy_number > 1: a later copy of a key already landed in the window -#}
    {{ number_landed_copies('events', 'event_id') }}

),

renamed as (

    select
        {{ message_columns('event_id', 'event_id') }},
        lower({{ clean_text('event_type') }}) as event_type,
        {{ clean_text('item_id') }} as item_id,
        {{ clean_text('properties') }} as properties_json,
        {{ try_parse_timestamp('event_at') }} as event_at,
        {{ landed_columns_prefixed('events', 'events') }}

    from numbered

),

parsed as (

    select
        renamed.*,
        {{ json_is_object('renamed.properties_json') }} as is_properties_object,
        products.product_id is not null as has_known_item

    from renamed
    left join products
        on renamed.item_id = products.product_id

),

validated as (

    select
        *,
        {{ quarantine_reason(message_stream_checks(
            'event_id', 'event_at', ('missing_identity', 'anonymous_id is null and user_id is null'),
            key_reason='event_id',
        ) + [
            ('unknown_event_type', 'event_type is null or event_type not in '
                ~ sql_text_list(known_values('event_type'))),
            ('invalid_json', 'not is_properties_object'),
            ('orphan_item_id', 'item_id is not null and not has_known_item'),
        ]) }} as quarantine_reason,
        case
            when is_properties_object
                then {{ json_parse_fields('properties_json', property_keys) }}
        end as properties

    from parsed

),

-- each row with the fingerprint of the partition it was read from, stored to notice a re-delivery
fingerprinted as (

    {{ with_landing_fingerprint('validated') }}

),

final as (

    select
        event_id,
        anonymous_id,
        user_id,
        event_type,
        item_id,
        event_at,
        received_at,
        dt,
        received_at > {{ add_minutes('event_at', var('late_event_threshold_minutes')) }} as is_late,
        {{ try_cast_as(json_record_field('properties', 'percent'), 'double') }} as scroll_percent,
        {{ try_cast_as(json_record_field('properties', 'seconds'), 'double') }} as video_seconds,
        {{ json_record_field('properties', 'query') }} as search_query,
        {{ json_record_field('properties', 'feature') }} as feature_name,
        {{ try_cast_as(json_record_field('properties', 'slot'), 'integer') }} as rec_slot,
        properties_json,
        landing_fingerprint,
        quarantine_reason,
        -- the raw row as landed, on quarantined rows only (clean rows are most of the stream)
        {{ quarantined_raw_record(raw_fields) }} as raw_record

    from fingerprinted

)

select * from final
