"""Segment definitions, drift and memberships per training run (logic in tailor.segments.runs).

Incremental on purpose: each build reads the runs stored so far (its own table) to carry segment ids and
names over (Hungarian matching on centroids) and never reuse a retired id. A build writes the run of the
current as-of time, replacing it when rebuilt, plus any earlier run rewritten without newly erased persons.
"""

from threadpoolctl import threadpool_limits

from tailor.frames import read_frame
from tailor.segments import config_from_mapping
from tailor.segments.runs import rows_to_write


def model(dbt, session):
    profiles = read_frame(dbt.ref("int_persons_segment_features_derived"))
    interactions = read_frame(dbt.ref("int_persons_category_weights_summed"))
    as_of = read_frame(dbt.ref("int_as_of_resolved"))
    erased = read_frame(dbt.ref("int_persons_erased"))
    history = session.sql(f"select * from {dbt.this}").to_arrow_table() if dbt.is_incremental else None
    config = config_from_mapping(dbt.config.meta_get("settings"))
    # one thread: each fit is small, and OpenMP threads would spin against dbt's own worker threads
    with threadpool_limits(1):
        rows = rows_to_write(
            profiles,
            interactions,
            as_of["as_of_at"].iloc[0],
            config=config,
            history=history,
            erased_person_ids=erased["person_id"],
        )
    return rows
