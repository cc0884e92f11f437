-- The erasure and PII tests cover every model, new ones included: a person-level model without
-- no_erased_persons, a mart without no_raw_pii, a mart built from erasure inputs, or a model holding
-- person or identifier columns without a privacy tag fails here (macros/privacy/privacy_coverage.sql).
with

gaps as (
    {{ rows_as_select(privacy_coverage_gaps(), ['node_name', 'problem']) }}
)

select * from gaps
