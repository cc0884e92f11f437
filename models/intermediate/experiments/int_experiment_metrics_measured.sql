{{ config(tags=['person_level']) }}

{#- Every catalogued metric (seeds/experiment_metrics.csv) is computed here and only here, per unit, over the
    unit's window [first exposure, experiment end) and over the CUPED pre-period: the stretch of the same
    length as the experiment right before it started. -#}
with

exposures as (
    select * from {{ ref('int_experiment_exposures_stitched') }}
),

registry as (
    select * from {{ ref('experiment_registry') }}
),

metric_catalogue as (
    select * from {{ ref('experiment_metrics') }}
),

orders as (
    select * from {{ ref('int_orders_identified') }}
),

sessions as (
    select * from {{ ref('int_sessions_sessionized') }}
),

events as (
    select * from {{ ref('int_events_identified') }}
),

experiments as (
    select
        experiment_id,
        started_at,
        ended_at,
        -- the pre-period is as long as the experiment: started_at minus (ended_at - started_at)
        {{ dateadd('second', datediff('ended_at', 'started_at', 'second'), 'started_at') }} as pre_period_start_at
    from registry
),

units as (
    select distinct
        exposures.experiment_id,
        exposures.experiment_unit_id,
        exposures.person_id,
        exposures.unit_first_assigned_at as window_start_at,
        experiments.ended_at as window_end_at,
        experiments.pre_period_start_at,
        experiments.started_at as pre_period_end_at
    from exposures
    inner join experiments
        on exposures.experiment_id = experiments.experiment_id
),

valid_orders as (
    select
        person_id,
        ordered_at,
        coalesce(total_amount_usd, 0) as total_amount_usd
    from orders
    where
        person_id is not null
        and not coalesce(is_cancelled, false)
),

unit_orders as (
    select
        units.experiment_id,
        units.experiment_unit_id,
        count(
            case when valid_orders.ordered_at >= units.window_start_at then valid_orders.ordered_at end
        ) as order_count,
        {{ ordered_sum(
            "case when valid_orders.ordered_at >= units.window_start_at then valid_orders.total_amount_usd else 0 end"
        ) }} as revenue_usd,
        count(
            case when valid_orders.ordered_at < units.pre_period_end_at then valid_orders.ordered_at end
        ) as pre_order_count,
        {{ ordered_sum(
            "case when valid_orders.ordered_at < units.pre_period_end_at then valid_orders.total_amount_usd else 0 end"
        ) }} as pre_revenue_usd
    from units
    inner join valid_orders
        on
            units.person_id = valid_orders.person_id
            and units.pre_period_start_at <= valid_orders.ordered_at
            and units.window_end_at > valid_orders.ordered_at
    group by
        units.experiment_id,
        units.experiment_unit_id
),

unit_sessions as (
    select
        units.experiment_id,
        units.experiment_unit_id,
        count(
            case when sessions.session_start_at >= units.window_start_at then sessions.session_id end
        ) as session_count,
        sum(
            case when sessions.session_start_at >= units.window_start_at then sessions.duration_s else 0 end
        ) as session_seconds,
        sum(
            case when sessions.session_start_at < units.pre_period_end_at then sessions.duration_s else 0 end
        ) as pre_session_seconds
    from units
    inner join sessions
        on
            units.person_id = sessions.person_id
            and units.pre_period_start_at <= sessions.session_start_at
            and units.window_end_at > sessions.session_start_at
    group by
        units.experiment_id,
        units.experiment_unit_id
),

recommendation_events as (
    select
        person_id,
        event_type,
        occurred_at
    from events
    where
        person_id is not null
        and event_type in ('recommendation_impression', 'recommendation_click')
),

unit_recommendations as (
    select
        units.experiment_id,
        units.experiment_unit_id,
        count(
            case when recommendation_events.event_type = 'recommendation_impression' then 1 end
        ) as impression_count,
        count(
            case when recommendation_events.event_type = 'recommendation_click' then 1 end
        ) as click_count
    from units
    inner join recommendation_events
        on
            units.person_id = recommendation_events.person_id
            and units.window_start_at <= recommendation_events.occurred_at
            and units.window_end_at > recommendation_events.occurred_at
    group by
        units.experiment_id,
        units.experiment_unit_id
),

-- units without any activity carry zeros: a person who never ordered did not convert
unit_measures as (
    select
        units.experiment_id,
        units.experiment_unit_id,
        coalesce(unit_orders.order_count, 0) as order_count,
        coalesce(unit_orders.revenue_usd, 0) as revenue_usd,
        coalesce(unit_orders.pre_order_count, 0) as pre_order_count,
        coalesce(unit_orders.pre_revenue_usd, 0) as pre_revenue_usd,
        coalesce(unit_sessions.session_count, 0) as session_count,
        coalesce(unit_sessions.session_seconds, 0) as session_seconds,
        coalesce(unit_sessions.pre_session_seconds, 0) as pre_session_seconds,
        coalesce(unit_recommendations.impression_count, 0) as impression_count,
        coalesce(unit_recommendations.click_count, 0) as click_count
    from units
    left join unit_orders
        on
            units.experiment_id = unit_orders.experiment_id
            and units.experiment_unit_id = unit_orders.experiment_unit_id
    left join unit_sessions
        on
            units.experiment_id = unit_sessions.experiment_id
            and units.experiment_unit_id = unit_sessions.experiment_unit_id
    left join unit_recommendations
        on
            units.experiment_id = unit_recommendations.experiment_id
            and units.experiment_unit_id = unit_recommendations.experiment_unit_id
),

-- one branch per catalogued metric; ratio metrics carry a denominator, CUPED-able ones a covariate
metric_values as (
    select
        experiment_id,
        experiment_unit_id,
        'conversion_rate' as metric,
        case when order_count > 0 then 1.0 else 0.0 end as metric_value,
        cast(null as double) as denominator,
        case when pre_order_count > 0 then 1.0 else 0.0 end as covariate
    from unit_measures

    union all

    select
        experiment_id,
        experiment_unit_id,
        'revenue_per_user' as metric,
        revenue_usd as metric_value,
        cast(null as double) as denominator,
        pre_revenue_usd as covariate
    from unit_measures

    union all

    select
        experiment_id,
        experiment_unit_id,
        'rec_ctr' as metric,
        click_count as metric_value,
        impression_count as denominator,
        cast(null as double) as covariate
    from unit_measures

    union all

    select
        experiment_id,
        experiment_unit_id,
        'session_duration' as metric,
        session_seconds as metric_value,
        session_count as denominator,
        cast(null as double) as covariate
    from unit_measures

    union all

    select
        experiment_id,
        experiment_unit_id,
        'time_on_site' as metric,
        session_seconds as metric_value,
        cast(null as double) as denominator,
        pre_session_seconds as covariate
    from unit_measures
),

final as (
    select
        metric_values.experiment_id || '|' || metric_values.experiment_unit_id || '|' || metric_values.metric
            as experiment_unit_metric_id,
        metric_values.experiment_id,
        metric_values.experiment_unit_id,
        metric_values.metric,
        cast(metric_values.metric_value as double) as metric_value,
        cast(metric_values.denominator as double) as denominator,
        cast(metric_values.covariate as double) as covariate
    from metric_values
    inner join metric_catalogue
        on metric_values.metric = metric_catalogue.metric
)

select * from final
