{#- The segments of the run at the current as-of time: behavioural clusters first, then the fallbacks. -#}
with

runs as (
    select * from {{ ref('int_segments_trained') }}
),

as_of as (
    select * from {{ ref('int_as_of_resolved') }}
),

current_run as (
    select runs.*
    from runs
    inner join as_of on runs.retrained_at = as_of.as_of_at
    where runs.drift_status != 'retired'
),

final as (
    select
        cast(segment_id as string) as segment_id,
        cast(segment_name as string) as segment_name,
        cast(is_fallback as boolean) as is_fallback,
        cast(member_count as bigint) as member_count,
        cast(member_share as double) as member_share,
        cast(clustered_share as double) as clustered_share,
        cast(centroid_json as string) as centroid_summary,
        cast(top_features as string) as top_features,
        cast(rules as string) as segment_rules,
        cast(rule_precision as double) as rule_precision,
        cast(rule_recall as double) as rule_recall,
        cast(tree_agreement as double) as tree_agreement,
        cast(name_rule as string) as name_rule,
        cast(cluster_count as integer) as cluster_count,
        cast(silhouette as double) as silhouette,
        cast(created_at as timestamp) as created_at,
        cast(retrained_at as timestamp) as retrained_at
    from current_run
)

select * from final
