-- Every not_null, unique and primary_key constraint of the marts' contracts holds. DuckDB enforces them as it
-- writes each mart, so there this test reads nothing and the marts carry no not_null or unique data test
-- on such a column (it would check the same thing twice, at a test's fixed cost, on every build). On an
-- engine that does not enforce them (Spark) this test checks them all (macros/testing/contract_constraints.sql).
-- The list below makes the test run after every mart; a contracted model missing from it fails the test.
{%- set marts = [
    'dim_customer_profiles', 'dim_customer_segments', 'dim_identity_map', 'dim_recommendation_items',
    'dim_recommendation_model', 'dim_segments', 'fct_bandit_allocations', 'fct_experiment_health',
    'fct_experiment_results', 'fct_experiment_segments', 'fct_interactions', 'fct_marketing_audience',
    'fct_model_monitoring', 'fct_monitoring_run_metrics', 'fct_orders', 'fct_recommendation_evaluation',
    'fct_recommendations', 'fct_segment_drift', 'fct_segment_membership_history', 'fct_sessions',
    'fct_similar_items',
] %}
{%- for mart in marts %}
-- depends_on: {{ ref(mart) }}
{%- endfor %}
{%- set unlisted = [] %}
{%- for name in (contracted_models() if execute else []) if name not in marts %}
    {%- do unlisted.append([name, '', 'contract', 'contracted but not listed in this test']) %}
{%- endfor %}

with

unlisted as (
    {{ rows_as_select(unlisted, ['model_name', 'column_name', 'constraint_type', 'problem']) }}
),

violations as (
    {{ contract_constraint_violations(marts) }}
),

final as (
    select * from unlisted
    union all
    select * from violations
)

select * from final
