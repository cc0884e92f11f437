{#- A model derived one row for one row from another (lookups by left join on unique keys) has exactly as
    many rows: none lost, none multiplied by a join. With the parent's key tested unique, this proves the
    model's key unique too, at the cost of two counts instead of a group by over every key.

        data_tests:
          - row_count_matches:
              arguments:
                compare_to: ref('int_events_unified')

    Fails with one row showing both counts when they differ. Partition-scoped (`where: __new_partitions__`),
    both sides are counted over the same partitions. -#}
{% test row_count_matches(model, compare_to) %}

with

model_rows as (

    select count(*) as row_count from {{ model }}

),

compared_rows as (

    select count(*) as row_count
    from {{ compare_to }} as compare_to_rows
    {% if is_partition_scoped_test() -%}
    where {{ tested_partitions('compare_to_rows', model) }}
    {%- endif %}

),

final as (

    select
        model_rows.row_count as model_row_count,
        compared_rows.row_count as compared_row_count

    from model_rows
    cross join compared_rows
    where model_rows.row_count != compared_rows.row_count

)

select * from final

{% endtest %}
