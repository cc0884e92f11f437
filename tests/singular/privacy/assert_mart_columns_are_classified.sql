-- Every column of every mart declares its data classification in meta.classification, one of
-- data_classifications() (macros/privacy/data_protection.sql), so the docs show what each published
-- column holds; a built column missing from the docs fails too.
with

gaps as (
    {{ rows_as_select(mart_classification_gaps(), ['node_name', 'column_name', 'problem']) }}
)

select * from gaps
