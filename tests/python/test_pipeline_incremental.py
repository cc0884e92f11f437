"""Daily runs equal a full refresh: one multi-day scenario on the tiny dataset, built incrementally after
every landed day, then a full refresh of a copy of the warehouse at the final date, compared row for row.

The days (the generator holds back DAYS_LANDED days for `tailor land-day`):

0. the generated period, built from nothing on a refit date of the recommender's cadence (a refit day);
1. an erasure day: the next day lands with an erasure request of a trained person (the recommender refits
   as of that day, without them), an event of an already erased person's device (a tracker that kept the old
   cookie), a login linking an old anonymous device to another person, a late file in the previous day's
   partition, and the oldest partition re-delivered corrected with the same row count (noticed only by its
   landing fingerprint: no partition before the late file's changed its row count);
2. a fold-in day: the next day lands (its partition holds events that happened days before: late events)
   with a personalization revocation, and an old partition is rewritten without its quarantined rows (as a
   data owner rewrites a partition); its new logins merge persons the erasure day's fit trained on, and a
   late event that happened before the refit instant links two trained persons for the first time (an
   identity edge first seen before the instant, first known after it). The day's snapshot extracts also
   bring records dated before the refit instant that no earlier extract had (an order with a purchase, a
   personalization revocation): they arrived after it. The erasure day's fit is kept (identity merges and
   late records of the time before the instant, snapshot records included, do not refit) and the changed
   persons are folded in.

Then the incremental models run again without new data (nothing may change), the data tests of the event
tables (scoped to the partitions a daily run re-reads), of the recommender, of erasure and of raw = clean +
quarantine run on the final warehouse, and a copy of it is fully refreshed at the same date. Every relation
of the two warehouses is compared (all columns, exact, order-free), under the cadence semantics of
docs/recommendations.md ("Refit cadence"): the full refresh finds the same refit date and fit, and folds in
the same persons at the same instant. The planted erasure requests are applied from the first build on: the
stored tables keep no record of an erased person across the incremental runs, and the tombstones stay."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import yaml

from tailor.privacy.salt import set_session_salt
from tailor.recommend.cadence import REFIT_EPOCH, cadence_refit_date

REPO = Path(__file__).resolve().parents[2]
SCALE = "tiny"
DAYS_LANDED = 2
STEP_TIMEOUT_S = 600
# about 27K events and page views at tiny: three hash groups in a full build of int_sessions_sessionized
SESSION_BUCKET_EVENTS = 10_000
SALT = os.environ.get("TAILOR_PII_SALT", "ci-test-salt")
# every seed and model (every mart); the data tests run in one scoped step after the last day
BUILD = ("build", "--resource-type", "seed", "--resource-type", "model")
INCREMENTAL_MODELS = "config.materialized:incremental"
RECOMMENDER = (
    "int_recommendation_refit_planned int_recommendation_refit_fingerprinted int_recommendation_factors_fitted"
    " int_recommendation_persons_changed int_recommendations_scored fct_recommendations"
)
# the daily data tests of the final warehouse: the event tables' (scoped to the partitions a daily run
# re-reads), the recommender's, every erasure test and raw = clean + history + quarantine
DAILY_TESTS = (
    f"int_events_unified int_events_identified {RECOMMENDER}"
    " test_name:no_erased_persons test_name:raw_rows_reconciled"
)
# The relation whose rows are a history of the builds themselves, not a function of the data at the final
# date: the audit log has rows per dbt invocation (test_history_relations_follow_their_documented_rule).
BUILD_HISTORY = frozenset({"audit_run_log"})
# the stored tables staging and the identity graph keep, and the identifier columns of each
ERASED_RECORD_COLUMNS = {
    "base_events__events": {"user_id": "'user_id'", "anonymous_id": "'anonymous_id'"},
    "base_web__pages": {"user_id": "'user_id'", "anonymous_id": "'anonymous_id'"},
    "base_web__identifies": {"user_id": "'user_id'", "anonymous_id": "'anonymous_id'", "email_hash": "'email_hash'"},
    "base_privacy__consent_events": {"user_id": "'user_id'", "anonymous_id": "'anonymous_id'"},
    "int_identity_edges": {"left_value": "left_type", "right_value": "right_type"},
    "int_identifiers_resolved": {"identifier_value": "identifier_type"},
    "event_persons_applied": {"identifier_value": "identifier_type"},
    "stg_commerce__orders": {"customer_id": "'user_id'", "email_hash": "'email_hash'"},
    "stg_crm__contacts": {"contact_id": "'crm_contact_id'", "email_hash": "'email_hash'"},
}
# the snapshot extracts whose records carry identifiers (int_extract_versions_arrived's extract names): the clean
# staging model, the record key and the identifier columns with their type
EXTRACT_RECORD_COLUMNS = {
    "commerce.orders": ("stg_commerce__orders", "order_id", ERASED_RECORD_COLUMNS["stg_commerce__orders"]),
    "crm.contacts": ("stg_crm__contacts", "contact_id", ERASED_RECORD_COLUMNS["stg_crm__contacts"]),
    "privacy.consent_events": (
        "stg_privacy__consent_events", "consent_event_id", ERASED_RECORD_COLUMNS["base_privacy__consent_events"]
    ),
    "support.tickets": ("stg_support__tickets", "ticket_id", {"email_hash": "'email_hash'"}),
    "experiments.assignments": ("stg_experiments__assignments", "assignment_id", {"unit_id": "unit_type"}),
}
# the persons known by one login, with it (an erasure request or a consent record by it names them whole)
ONE_LOGIN_PERSONS = """
    select person_id, min(identifier_value) as user_id
    from main.int_identifiers_retained
    where identifier_type = 'user_id'
    group by person_id
    having count(*) = 1
"""
# where an erased person's id is kept on purpose: the erasure ledger itself
ERASURE_LEDGER = frozenset({"int_erasure_tombstones", "int_persons_erased", "erasure_tombstones_applied"})


@dataclass(frozen=True)
class Redelivery:
    """A corrected re-delivery of an old partition: its date, rows, and rows whose item was corrected."""

    dt: str
    rows: int
    corrected_rows: int
    oldest_stored_dt_in_late_window: str


@dataclass(frozen=True)
class LateLogin:
    """The fold-in day's late login: an old device and a user of two trained persons, linked first by an
    event that happened before the refit instant and arrived after it."""

    device: str
    device_person: str
    user: str
    user_person: str


@dataclass(frozen=True)
class LateSnapshotRecords:
    """The fold-in day's snapshot records dated before the refit instant that no earlier extract held: an
    order (one purchase line) of one trained person and a personalization revocation of another."""

    order_id: str
    order_item_id: str
    order_person: str
    consent_event_id: str
    consent_person: str


@dataclass(frozen=True)
class Scenario:
    """The warehouses of the scenario and what each day planted."""

    refit_day: Path
    erasure_day: Path
    incremental: Path
    full_refresh: Path
    landing: Path
    days: tuple[str, ...]
    refit_every_days: int
    events_before: int
    events_after: int
    compiled_events_sql: str
    compiled_base_sql: str
    base_rows_rewritten: int
    revoked_person: str
    revoked_user: str
    relanded_device: str
    first_tombstones: frozenset[str]
    erased_person: str
    erased_user: str
    linked_device_events: int
    linked_device_events_moved: int
    late_file_rows: int
    late_events_on_last_day: int
    redelivered: Redelivery
    scoped_test_sql: str
    late_login: LateLogin
    late_snapshot: LateSnapshotRecords


def _run(cmd: list[str], env: dict[str, str]) -> str:
    """Run one pipeline step from the repo root; on failure show its output, which is where dbt says why."""
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT_S)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout[-6000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def _tool(name: str) -> str:
    """A console script from the interpreter's own environment (the project venv), else from PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else (shutil.which(name) or name)


def _every_days_for(refit_day: dt.date, fold_in_days: int) -> int:
    """A cadence on which `refit_day` is a refit date and the `fold_in_days` days after it are not."""
    days = (refit_day - REFIT_EPOCH).days
    every = next(n for n in range(fold_in_days + 1, days + 1) if days % n == 0)
    assert cadence_refit_date(refit_day, every) == refit_day
    assert cadence_refit_date(refit_day + dt.timedelta(days=fold_in_days), every) == refit_day
    return every


def _build_vars(every_days: int) -> str:
    """The project's recommendations var with the test's cadence; monitoring thresholds no run can reach, so
    the retraining flag (unit-tested in test_recommend_cadence) does not move the refit date here. Sessions
    in groups of a few thousand events, so the full refresh sessionizes the tiny data in several hash groups
    (as scale l does) and is compared with the incremental runs' single group."""
    project = yaml.safe_load((REPO / "dbt_project.yml").read_text())["vars"]["tailor"]
    recommendations = {**project["recommendations"], "refit_every_days": every_days}
    return json.dumps(
        {"recommendations": recommendations, "monitoring_psi_threshold": 1e9, "monitoring_ndcg_drop_share": 1.0,
         "session_bucket_events": SESSION_BUCKET_EVENTS}
    )


def _lookback_days() -> int:
    project_vars = yaml.safe_load((REPO / "dbt_project.yml").read_text())["vars"]["tailor"]
    return int(project_vars["late_event_lookback_days"])


def _one(db: Path, sql: str, parameters: list[object] | None = None) -> tuple:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, parameters or []).fetchall()[0]


def _rows(db: Path, sql: str, parameters: list[object] | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, parameters or []).fetchall()


def _count(db: Path, table: str) -> int:
    return _one(db, f"select count(*) from main.{table}")[0]


def _events_folder(landing: Path) -> Path:
    return landing / "events" / "events"


def _partitions(landing: Path) -> list[Path]:
    return sorted(_events_folder(landing).glob("dt=*"))


# ---- what each day plants in the landing zone ------------------------------------------------------------


def _rewrite_old_partition(landing: Path, skip_dt: str) -> int:
    """Rewrite the first old events file (not of `skip_dt`) holding rows without an id or identity, without
    them; returns how many rows it dropped. Such rows are quarantined and no copy of anything, so the marts
    stay the same while the base table must notice that the old partition changed (raw rows = clean +
    quarantined)."""
    files = [path for path in sorted(_events_folder(landing).glob("dt=*/*.parquet"))
             if path.parent.name != f"dt={skip_dt}"]
    unwanted = "event_id is null or (anonymous_id is null and user_id is null)"
    with duckdb.connect() as con:
        for path in files[: len(files) // 2]:
            dropped = con.execute(f"select count(*) from read_parquet('{path}') where {unwanted}").fetchall()[0][0]
            if dropped:
                rewritten = path.with_suffix(".tmp")
                con.execute(
                    f"copy (select * exclude (file_row_number) from read_parquet('{path}', file_row_number = true)"
                    f" where not ({unwanted}) order by file_row_number) to '{rewritten}' (format parquet)"
                )
                rewritten.replace(path)
                return dropped
    return 0


def _hybrid_person(db: Path) -> tuple[str, str]:
    """A person served by the personal model at rank 1, with a login: (person_id, user_id)."""
    return _one(
        db,
        """
        select recs.person_id, min(identifiers.identifier_value)
        from main.fct_recommendations as recs
        inner join main.int_identifiers_retained as identifiers
            on recs.person_id = identifiers.person_id and identifiers.identifier_type = 'user_id'
        where recs.rec_source = 'hybrid' and recs.rank = 1
        group by recs.person_id
        order by recs.person_id
        limit 1
        """,
    )


def _append_to_snapshot(snapshot: Path, rows: str) -> None:
    """Rewrite the Parquet `snapshot` with the rows of the query `rows` (which may read the snapshot) added."""
    revised = snapshot.with_suffix(".tmp")
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * from read_parquet('{snapshot}') union all ({rows})) to '{revised}' (format parquet)"
        )
    revised.replace(snapshot)


def _revoke_consent(landing: Path, user: str, day: str, prefix: str = "revoked-") -> str:
    """Add a personalization revocation of `user` on `day` to the consent snapshot, keyed `prefix` and an
    existing event's id (returned). The snapshot is replaced by every landed day, so the sender's later
    snapshots carry it again (called after each land-day)."""
    events = landing / "privacy" / "consent_events" / "consent_events.parquet"
    template = f"select min(consent_event_id) from read_parquet('{events}') where user_id is not null"
    with duckdb.connect() as con:
        consent_event_id = prefix + con.execute(template).fetchall()[0][0]
    _append_to_snapshot(
        events,
        f"""
        select * replace (
            '{consent_event_id}' as consent_event_id,
            null as anonymous_id,
            '{user}' as user_id,
            'personalization' as purpose,
            'revoked' as status,
            '{day}T12:00:00.000Z' as occurred_at
        )
        from read_parquet('{events}')
        where user_id is not null and consent_event_id is not null
        order by consent_event_id
        limit 1
        """,
    )
    return consent_event_id


def _trained_person(db: Path, other_than: str) -> tuple[str, str]:
    """A person with collaborative factors, served by the personal model and known by one login (so an
    erasure request by it erases them whole): (person_id, user_id)."""
    return _one(
        db,
        f"""
        with logins as ({ONE_LOGIN_PERSONS})
        select factors.person_id, logins.user_id
        from main.int_recommendation_factors_fitted as factors
        inner join logins using (person_id)
        where
            factors.person_id != ?
            and factors.person_id in (select person_id from main.fct_recommendations where rec_source = 'hybrid')
        order by factors.person_id
        limit 1
        """,
        [other_than],
    )


def _request_erasure(landing: Path, user: str, day: str) -> None:
    """Add an erasure request of `user` made on `day` to the requests snapshot (again after each land-day:
    requests are kept and applied on every build)."""
    requests = landing / "privacy" / "erasure_requests" / "erasure_requests.parquet"
    _append_to_snapshot(requests, f"select 'ER-SCENARIO-1', 'user_id', '{user}', '{day}T12:00:00.000Z'")


def _link_old_device(landing: Path, db: Path, avoid_dt: str) -> tuple[str, str, int]:
    """Land one more logged-in event on the new day: an old device, only ever seen anonymously and all before
    the next build's window (and after `avoid_dt`, the re-delivered partition), now used by a user of another
    person. The identity map moves the device to that person, so its old events must be identified again
    although no partition of theirs is re-read. Returns the device, the user and how many stored events the
    device has."""
    with duckdb.connect(str(db), read_only=True) as con:
        device, n_events = con.execute(
            f"""
            with people as (
                select
                    person_id,
                    count(*) filter (where identifier_type = 'anonymous_id') as n_devices,
                    count(*) filter (where identifier_type = 'user_id') as n_logins
                from main.int_identifiers_retained
                where person_id is not null
                group by person_id
            ),
            old_anonymous_devices as (
                select anonymous_id, count(*) as n_events
                from main.int_events_identified
                where anonymous_id is not null
                group by anonymous_id
                having
                    count(user_id) = 0
                    and max(dt) < (select max(dt) from main.int_events_identified)
                        - interval {_lookback_days()} day
                    and min(dt) > date '{avoid_dt}'
            )
            select devices.anonymous_id, devices.n_events
            from old_anonymous_devices as devices
            inner join main.int_identifiers_retained as identifiers
                on identifiers.identifier_type = 'anonymous_id' and identifiers.identifier_value = devices.anonymous_id
            inner join people using (person_id)
            where people.n_logins = 0 and people.n_devices = 1
            order by devices.anonymous_id
            limit 1
            """
        ).fetchall()[0]
        user = con.execute(
            """
            select identifiers.identifier_value
            from main.int_identifiers_retained as identifiers
            where
                identifiers.identifier_type = 'user_id'
                and identifiers.person_id in (
                    select person_id from main.int_identifiers_retained
                    where identifier_type = 'anonymous_id' group by person_id having count(*) < 5
                )
            order by identifiers.identifier_value
            limit 1
            """
        ).fetchall()[0][0]
        new_day = _partitions(landing)[-1]
        template = next(iter(sorted(new_day.glob("*.parquet"))))
        con.execute(
            f"copy (select * replace ('linked-' || event_id as event_id, '{device}' as anonymous_id,"
            f" '{user}' as user_id) from read_parquet('{template}')"
            " where event_id is not null and anonymous_id is not null and user_id is not null"
            " order by event_id limit 1)"
            f" to '{new_day / 'linked-login.parquet'}' (format parquet)"
        )
    return device, user, n_events


def _land_late_login(landing: Path, db: Path, occurred_on: str, avoid: tuple[str, ...]) -> LateLogin:
    """Land, in the new day's partition, a late event that happened on `occurred_on` (before the refit
    instant) and arrived today: a login of a trained person's user on an old device of another trained
    person known only by that device. It is the first record linking the two, so the identity graph gets an
    edge first seen before the refit instant but first known after it. `avoid` lists persons and devices the
    other plants use."""
    excluded = ", ".join(f"'{value}'" for value in avoid)
    with duckdb.connect(str(db), read_only=True) as con:
        trained = (
            "select person_id from main.int_recommendation_factors_fitted"
            f" where person_id is not null and person_id not in ({excluded})"
        )
        people = f"""
            select
                person_id,
                min(identifier_value) filter (where identifier_type = 'user_id') as user_id,
                min(identifier_value) filter (where identifier_type = 'anonymous_id') as device,
                count(*) filter (where identifier_type = 'anonymous_id') as n_devices,
                count(*) filter (where identifier_type = 'user_id') as n_logins,
                count(*) as n_identifiers
            from main.int_identifiers_retained
            where person_id in ({trained})
            group by person_id
        """
        device_person, device = con.execute(
            f"""
            select person_id, device from ({people})
            where n_identifiers = 1 and n_devices = 1 and device not in ({excluded})
            order by person_id limit 1
            """
        ).fetchall()[0]
        user_person, user = con.execute(
            f"select person_id, user_id from ({people}) where n_logins = 1 and n_devices < 5"
            " order by person_id limit 1"
        ).fetchall()[0]
        new_day = _partitions(landing)[-1]
        template = next(iter(sorted(new_day.glob("*.parquet"))))
        con.execute(
            f"copy (select * replace ('backdated-login-' || event_id as event_id, '{device}' as anonymous_id,"
            f" '{user}' as user_id, '{occurred_on}T10:00:00.000Z' as event_at) from read_parquet('{template}')"
            " where event_id is not null and anonymous_id is not null and user_id is not null"
            " order by event_id limit 1)"
            f" to '{new_day / 'late-login.parquet'}' (format parquet)"
        )
    return LateLogin(device=device, device_person=device_person, user=user, user_person=user_person)


def _land_late_snapshot_records(
    landing: Path, db: Path, occurred_on: str, avoid: tuple[str, ...]
) -> LateSnapshotRecords:
    """Add to the day's snapshot extracts records dated `occurred_on` (before the refit instant) that no
    earlier extract held: an order of a trained person's login with one purchase line (the order and line of
    another order, re-keyed; no checkout email, so it links nobody new), and a personalization revocation of
    another trained person's login. Called after the day's land-day: the extracts are replaced by each day."""
    excluded = ", ".join(f"'{value}'" for value in avoid)
    with duckdb.connect(str(db), read_only=True) as con:
        persons = con.execute(
            f"""
            with logins as ({ONE_LOGIN_PERSONS})
            select logins.person_id, logins.user_id
            from main.int_recommendation_factors_fitted as factors
            inner join logins using (person_id)
            inner join main.int_recommendation_persons_prepared as persons using (person_id)
            where factors.person_id not in ({excluded}) and persons.has_personalization_consent
            order by factors.person_id
            limit 2
            """
        ).fetchall()
    (order_person, order_user), (consent_person, consent_user) = persons
    orders = landing / "commerce" / "orders" / "orders.parquet"
    items = landing / "commerce" / "order_items" / "order_items.parquet"
    with duckdb.connect() as con:
        [(template_order, template_item)] = con.execute(
            f"""select items.order_id, min(items.order_item_id) from read_parquet('{items}') as items
                inner join read_parquet('{orders}') as orders using (order_id)
                where orders.status = 'delivered' and items.quantity = 1
                group by items.order_id order by items.order_id limit 1"""
        ).fetchall()
    order_id, order_item_id = f"late-{template_order}", f"late-{template_item}"
    # one line, so the order's amounts are its line's: subtotal = total = the unit price
    _append_to_snapshot(
        orders,
        f"""
        select orders.* replace (
            '{order_id}' as order_id, '{order_user}' as customer_id, null as email, 'placed' as status,
            items.unit_price as subtotal, 0.0 as discount, 0.0 as shipping, items.unit_price as total_amount,
            '{occurred_on}T10:00:00.000Z' as created_at, '{occurred_on}T10:00:00.000Z' as updated_at
        )
        from read_parquet('{orders}') as orders
        cross join (
            select unit_price from read_parquet('{items}') where order_item_id = '{template_item}'
        ) as items
        where orders.order_id = '{template_order}'
        """,
    )
    _append_to_snapshot(
        items,
        f"""select * replace ('{order_item_id}' as order_item_id, '{order_id}' as order_id)
            from read_parquet('{items}') where order_item_id = '{template_item}'""",
    )
    consent_event_id = _revoke_consent(landing, consent_user, occurred_on, prefix="backdated-revoked-")
    return LateSnapshotRecords(order_id, order_item_id, order_person, consent_event_id, consent_person)


def _reland_erased_event(landing: Path, db: Path) -> str:
    """Land one more event on the new day from a device of an erased person, as a tracker that kept the old
    cookie sends it; returns the device."""
    device = _one(
        db,
        "select identifier_value from main.int_erasure_tombstones"
        " where identifier_type = 'anonymous_id' and person_id is not null order by 1 limit 1",
    )[0]
    new_day = _partitions(landing)[-1]
    template = next(iter(sorted(new_day.glob("*.parquet"))))
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * replace ('relanded-' || event_id as event_id, '{device}' as anonymous_id,"
            f" null as user_id) from read_parquet('{template}')"
            " where event_id is not null and event_type = 'product_view' order by event_id limit 1)"
            f" to '{new_day / 'relanded-erased.parquet'}' (format parquet)"
        )
    return device


def _land_late_file(landing: Path) -> int:
    """Land a late file in the partition before the newest one (inside the late-event window): copies of that
    partition's product views, new ids, as a sender's delayed batch. Returns its rows."""
    previous = _partitions(landing)[-2]
    source = sorted(previous.glob("*.parquet"))[0]
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * replace ('late-' || event_id as event_id) from read_parquet('{source}')"
            " where event_id is not null and event_type = 'product_view' and item_id is not null"
            " and (anonymous_id is not null or user_id is not null) order by event_id limit 5)"
            f" to '{previous / 'late-batch.parquet'}' (format parquet)"
        )
        return con.execute(f"select count(*) from read_parquet('{previous / 'late-batch.parquet'}')").fetchall()[0][0]


def _late_events(landing: Path, lateness_days: int) -> int:
    """Events in the newest partition that happened at least `lateness_days` days before it."""
    newest = _partitions(landing)[-1]
    day = newest.name.removeprefix("dt=")
    with duckdb.connect() as con:
        return con.execute(
            f"select count(*) from read_parquet('{newest}/*.parquet', union_by_name = true)"
            f" where try_cast(event_at as timestamp) < date '{day}' - interval {lateness_days} day"
        ).fetchall()[0][0]


def _redeliver_oldest_partition(landing: Path) -> tuple[str, int, int]:
    """Re-deliver the oldest events partition corrected: the product views carry their items rotated by one
    (as if the sender had shifted a column), same rows, same count. A landing check by row count cannot see
    it; the landing fingerprint (file size and modification time) does. Returns dt, rows and rows changed."""
    oldest = _partitions(landing)[0]
    path = sorted(oldest.glob("*.parquet"))[0]
    rewritten = path.with_suffix(".tmp")
    with duckdb.connect() as con:
        rows = con.execute(f"select count(*) from read_parquet('{path}')").fetchall()[0][0]
        con.execute(
            f"""
            copy (
                with landed as (
                    select *, event_type = 'product_view' and item_id is not null as is_view
                    from read_parquet('{path}', file_row_number = true)
                )
                select * exclude (file_row_number, is_view) replace (
                    case
                        when is_view then coalesce(
                            lead(item_id) over (partition by is_view order by file_row_number),
                            first(item_id) over (partition by is_view order by file_row_number)
                        )
                        else item_id
                    end as item_id
                )
                from landed
                order by file_row_number
            ) to '{rewritten}' (format parquet)
            """
        )
        changed = con.execute(
            f"select count(*) from read_parquet('{path}', file_row_number = true) as old"
            f" inner join read_parquet('{rewritten}', file_row_number = true) as new using (file_row_number)"
            " where old.item_id is distinct from new.item_id"
        ).fetchall()[0][0]
        assert con.execute(f"select count(*) from read_parquet('{rewritten}')").fetchall()[0][0] == rows
    rewritten.replace(path)
    return oldest.name.removeprefix("dt="), rows, changed


def _late_window_start(db: Path) -> str:
    """The first partition the late-event lookback alone would re-read in the next build."""
    return str(
        _one(db, f"select max(dt) - interval {_lookback_days()} day from main.base_events__events")[0].date()
    )


def _tombstone_ids(db: Path) -> frozenset[str]:
    return frozenset(row[0] for row in _rows(db, "select tombstone_id from main.int_erasure_tombstones"))


def _events_moved_to_login(db: Path, device: str, user: str) -> int:
    """How many events of `device` stored before the linking login now belong to the person of `user`."""
    return _one(
        db,
        """
        select count(*)
        from main.int_events_identified as events
        inner join main.int_identifiers_retained as identifiers
            on identifiers.identifier_type = 'user_id' and identifiers.identifier_value = ?
        where
            events.anonymous_id = ?
            and events.person_id = identifiers.person_id
            and not starts_with(events.event_id, 'linked-')
        """,
        [user, device],
    )[0]


def _compiled(target: Path, model: str) -> str:
    return next((target / "compiled").rglob(f"{model}.sql")).read_text()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    work = tmp_path_factory.mktemp("daily_runs")
    data = work / "data"
    landing = data / "landing" / SCALE
    target = work / "target"
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(REPO / "profiles"),
        "TAILOR_LANDING": str(landing),
        "TAILOR_PII_SALT": SALT,
    }
    _run([_tool("tailor"), "generate", "--scale", SCALE, "--out", str(data), "--quiet",
          "--holdback-days", str(DAYS_LANDED)], env)
    manifest = json.loads((data / "truth" / SCALE / "manifest.json").read_text())
    every_days = _every_days_for(dt.date.fromisoformat(manifest["end_date"]), DAYS_LANDED)
    dbt_args = ["--target", "ci", "--target-path", str(target), "--log-path", str(work / "logs"),
                "--vars", _build_vars(every_days)]
    # every build writes the same path (an unchanged profile keeps dbt's partial parse); copied or moved away
    warehouse = work / "warehouse.duckdb"
    env = {**env, "TAILOR_DUCKDB_PATH": str(warehouse)}
    dbt = _tool("dbt")
    days = [manifest["end_date"]]

    def land_day() -> str:
        out = _run([_tool("tailor"), "land-day", "--scale", SCALE, "--out", str(data)], env)
        days.append(out.split()[1].removeprefix("dt="))
        return days[-1]

    # day 0: the refit day
    _run([dbt, *BUILD, *dbt_args], env)
    refit_day = work / "refit_day.duckdb"
    shutil.copy(warehouse, refit_day)
    events_before = _count(warehouse, "int_events_unified")
    first_tombstones = _tombstone_ids(warehouse)
    revoked_person, revoked_user = _hybrid_person(warehouse)
    erased_person, erased_user = _trained_person(warehouse, other_than=revoked_person)
    late_window_start = _late_window_start(warehouse)
    oldest = _partitions(landing)[0].name.removeprefix("dt=")

    # day 1: an erasure day (a refit), with the other changes a day's landing can bring to what is stored
    erasure_day = land_day()
    _request_erasure(landing, erased_user, erasure_day)
    relanded_device = _reland_erased_event(landing, warehouse)
    device, user, linked_device_events = _link_old_device(landing, warehouse, avoid_dt=oldest)
    late_file_rows = _land_late_file(landing)
    redelivered_dt, redelivered_rows, corrected_rows = _redeliver_oldest_partition(landing)
    _run([dbt, *BUILD, *dbt_args], env)
    erasure_day_copy = work / "erasure_day.duckdb"
    shutil.copy(warehouse, erasure_day_copy)
    compiled_events = _compiled(target, "int_events_unified")
    compiled_base = _compiled(target, "base_events__events")
    linked_device_events_moved = _events_moved_to_login(warehouse, device, user)

    # day 2: a fold-in day with late events and a personalization revocation
    day = land_day()
    _request_erasure(landing, erased_user, erasure_day)
    _revoke_consent(landing, revoked_user, day)
    late_events = _late_events(landing, 2)
    late_login = _land_late_login(
        landing, erasure_day_copy, occurred_on=erasure_day, avoid=(revoked_person, erased_person, device)
    )
    late_snapshot = _land_late_snapshot_records(
        landing, erasure_day_copy, occurred_on=erasure_day,
        avoid=(revoked_person, erased_person, device, late_login.device_person, late_login.user_person),
    )
    # after the re-delivery's build: a row count change there would re-read the re-delivered partition anyway
    rewritten_rows = _rewrite_old_partition(landing, skip_dt=oldest)
    _run([dbt, *BUILD, *dbt_args], env)
    events_after = _count(warehouse, "int_events_unified")
    # rerunning the incremental models without new data must change nothing (the full refresh tells)
    _run([dbt, "run", "--select", INCREMENTAL_MODELS, *dbt_args], env)
    _run([dbt, "test", "--select", DAILY_TESTS, "--indirect-selection", "cautious",
          "--exclude", "test_type:unit", "path:snapshots", *dbt_args], env)
    scoped_test_sql = _compiled(target, "unique_int_events_unified_event_id")
    incremental = warehouse.rename(work / "incremental.duckdb")

    # a full refresh of the same warehouse at the same date: the stateful models start from nothing
    shutil.copy(incremental, warehouse)
    _run([dbt, *BUILD, "--full-refresh", *dbt_args], env)
    full_refresh = warehouse.rename(work / "full_refresh.duckdb")
    return Scenario(
        refit_day=refit_day,
        erasure_day=erasure_day_copy,
        incremental=incremental,
        full_refresh=full_refresh,
        landing=landing,
        days=tuple(days),
        refit_every_days=every_days,
        events_before=events_before,
        events_after=events_after,
        compiled_events_sql=compiled_events,
        compiled_base_sql=compiled_base,
        base_rows_rewritten=rewritten_rows,
        revoked_person=revoked_person,
        revoked_user=revoked_user,
        relanded_device=relanded_device,
        first_tombstones=first_tombstones,
        erased_person=erased_person,
        erased_user=erased_user,
        linked_device_events=linked_device_events,
        linked_device_events_moved=linked_device_events_moved,
        late_file_rows=late_file_rows,
        late_events_on_last_day=late_events,
        redelivered=Redelivery(redelivered_dt, redelivered_rows, corrected_rows, late_window_start),
        scoped_test_sql=scoped_test_sql,
        late_login=late_login,
        late_snapshot=late_snapshot,
    )


def _attached(**databases: Path) -> duckdb.DuckDBPyConnection:
    """A connection with the warehouses attached read-only, and the salt the staging views need."""
    con = duckdb.connect()
    set_session_salt(con, SALT)
    for name, path in databases.items():
        con.execute(f"attach '{path}' as {name} (read_only)")
    return con


def _relations(db: Path, table_type: str = "%") -> set[str]:
    """The relations of the warehouse's main schema (`table_type`: 'BASE TABLE', 'VIEW', or any)."""
    return {
        row[0]
        for row in _rows(
            db,
            "select table_name from information_schema.tables where table_schema = 'main' and table_type like ?",
            [table_type],
        )
    }


# ---- incremental equals full refresh ---------------------------------------------------------------------


def test_both_warehouses_hold_the_same_relations(scenario: Scenario) -> None:
    relations = _relations(scenario.incremental)
    assert relations == _relations(scenario.full_refresh)
    # every mart of the project was built as a table, and is compared below
    marts = {path.stem for path in (REPO / "models" / "marts").rglob("*.sql")}
    assert marts and marts <= _relations(scenario.incremental, "BASE TABLE")


def _differences(con: duckdb.DuckDBPyConnection, relation: str, columns: str = "*") -> tuple[int, int, int]:
    """Rows of `relation` (all columns unless told) in the incremental warehouse, and rows only in one of the
    two warehouses (multisets: a duplicated row counts)."""
    rows = con.execute(f"select count(*) from incremental.main.{relation}").fetchall()[0][0]
    only_incremental, only_full = (
        con.execute(
            f"select count(*) from (select {columns} from {a}.main.{relation}"
            f" except all select {columns} from {b}.main.{relation})"
        ).fetchall()[0][0]
        for a, b in (("incremental", "full_refresh"), ("full_refresh", "incremental"))
    )
    return rows, only_incremental, only_full


def test_every_table_equals_a_full_refresh(scenario: Scenario) -> None:
    """Every table of the incremental warehouse (every mart, every intermediate and staging table, the
    stateful recommender tables, the erasure ledger), all columns, floats exact, order-free: the same rows as
    the full refresh of a copy at the same date. Only the build history relations differ by design. (The
    views are functions of these tables and of the landing files, which both warehouses share.)"""
    relations = sorted(_relations(scenario.incremental, "BASE TABLE") - BUILD_HISTORY)
    differing, empty = {}, []
    with _attached(incremental=scenario.incremental, full_refresh=scenario.full_refresh) as con:
        for relation in relations:
            rows, only_incremental, only_full = _differences(con, relation)
            if only_incremental or only_full:
                differing[relation] = (only_incremental, only_full)
            if rows == 0:
                empty.append(relation)
    assert not differing, f"rows only in the incremental / only in the full refresh: {differing}"
    # the comparison proves something: the stateful models (and the persons as known at the refit instant
    # and the changed persons behind them) are compared tables that hold rows
    must_hold_rows = {
        "fct_recommendations",
        "int_recommendation_factors_fitted",
        "int_events_identified",
        "int_sessions_sessionized",
        "fct_interactions",
        "int_erasure_tombstones",
        "int_identifiers_resolved_at_refit",
        "int_recommendation_persons_changed",
    }
    assert must_hold_rows <= set(relations) and not must_hold_rows & set(empty)


def test_history_relations_follow_their_documented_rule(scenario: Scenario) -> None:
    """The audit log has rows of every dbt invocation (each day, the rerun, the tests and the refresh). The
    recommender's evaluation is kept until `eval_every_days` old: the day 0 run serves every day, and the full
    refresh keeps it too (compared with the other tables)."""
    builds = [
        _one(warehouse, "select count(distinct invocation_id) from main.audit_run_log")[0]
        for warehouse in (scenario.incremental, scenario.full_refresh)
    ]
    assert builds[0] >= 3 + DAYS_LANDED and builds[1] == builds[0] + 1
    for warehouse in (scenario.erasure_day, scenario.incremental, scenario.full_refresh):
        runs = _rows(warehouse, "select distinct cast(as_of_at as date) from main.fct_recommendation_evaluation")
        assert runs == [(dt.date.fromisoformat(scenario.days[0]),)]


def test_the_builds_ran_incrementally(scenario: Scenario) -> None:
    assert "where dt >= (select reprocess_window.reprocess_from_dt" in scenario.compiled_events_sql
    assert scenario.events_after > scenario.events_before
    assert "reprocess_window.reprocess_from_dt" in scenario.compiled_base_sql
    assert scenario.base_rows_rewritten > 0
    # every stored event of the device a new login linked to another person, all before the window, moved
    assert scenario.linked_device_events > 0
    assert scenario.linked_device_events_moved == scenario.linked_device_events


def test_daily_data_tests_read_only_the_new_partitions(scenario: Scenario) -> None:
    """On an incremental run the event tables' tests read the late-event window, not the whole table (they
    passed in the fixture); the where placeholder was replaced, not left in the SQL."""
    assert "scoped_rows.dt as date) >=" in scenario.scoped_test_sql
    assert "__new_partitions__" not in scenario.scoped_test_sql


# the tests of the planted violations below: the duplicates test (partition-scoped on the event streams) and
# the erasure tests of the refit input (whole-table runs) and of the table its persons come from (every run)
PLANTED_TESTS = ("assert_duplicates_keep_their_first_copy", "int_identifiers_resolved_at_refit",
                 "int_recommendation_interactions_refit")


def _drop_first_copy(con: duckdb.DuckDBPyConnection, partition: str) -> str:
    """Quarantine the clean first copy of an event of `partition` as a duplicate: its key keeps no clean copy,
    the violation assert_duplicates_keep_their_first_copy exists for. Returns the event id."""
    [(event_id,)] = con.execute(
        "select min(event_id) from main.base_events__events where dt = ? and quarantine_reason is null",
        [partition],
    ).fetchall()
    con.execute(
        "update main.base_events__events set quarantine_reason = 'duplicate_event_id' where event_id = ?", [event_id]
    )
    return event_id


def _regroup_under_erased_person(con: duckdb.DuckDBPyConnection, erased_person: str) -> str:
    """Give the identifiers of a person the refit trains on to an erased person, as a faulty identity step
    would: the refit input (a view) then holds the erased person's rows. Returns the regrouped person."""
    [(person_id,)] = con.execute("select min(person_id) from main.int_recommendation_interactions_refit").fetchall()
    con.execute(
        "update main.int_identifiers_resolved_at_refit set person_id = ? where person_id = ?",
        [erased_person, person_id],
    )
    return person_id


def _test_failures(scenario: Scenario, db: Path, work: Path, scope: str) -> dict[str, int]:
    """Run the planted tests on `db` under `data_tests_scope: scope`: failing rows by test name."""
    build_vars = {**json.loads(_build_vars(scenario.refit_every_days)), "data_tests_scope": scope}
    env = {**os.environ, "DBT_PROFILES_DIR": str(REPO / "profiles"), "TAILOR_LANDING": str(scenario.landing),
           "TAILOR_PII_SALT": SALT, "TAILOR_DUCKDB_PATH": str(db)}
    target = work / f"target_{scope}"
    subprocess.run(
        [_tool("dbt"), "test", "--select", *PLANTED_TESTS, "--exclude", "test_type:unit", "--target", "ci",
         "--target-path", str(target), "--log-path", str(work / "logs"), "--vars", json.dumps(build_vars)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT_S,
    )
    results = json.loads((target / "run_results.json").read_text())["results"]
    assert all(result["status"] in ("pass", "fail", "success") for result in results), results
    return {result["unique_id"].split(".")[2]: result["failures"] or 0 for result in results}


def test_scoped_tests_fail_on_a_violation_planted_in_a_new_partition(scenario: Scenario, tmp_path: Path) -> None:
    """A first copy dropped in the newest partition fails the daily run's duplicates test; one dropped in the
    oldest partition, outside the window, is left to the whole-table run, which fails on both. An erased
    person planted in the refit input fails the daily run where the refit input's persons are stored
    (int_identifiers_resolved_at_refit); the view's own erasure test reads it on the whole-table run."""
    planted = tmp_path / "planted.duckdb"
    shutil.copy(scenario.incremental, planted)
    with duckdb.connect(str(planted)) as con:
        set_session_salt(con, SALT)
        [(oldest, newest)] = con.execute("select min(dt), max(dt) from main.base_events__events").fetchall()
        assert (newest - oldest).days > _lookback_days()
        _drop_first_copy(con, newest)
        _drop_first_copy(con, oldest)
        _regroup_under_erased_person(con, scenario.erased_person)
    with _attached(planted=planted) as con:
        [(erased_rows,)] = con.execute(
            "select count(*) from planted.main.int_recommendation_interactions_refit where person_id = ?",
            [scenario.erased_person],
        ).fetchall()
    assert erased_rows > 0

    daily = _test_failures(scenario, planted, tmp_path, "new_partitions")
    assert daily["assert_duplicates_keep_their_first_copy"] == 1
    assert daily["no_erased_persons_int_identifiers_resolved_at_refit_"] > 0
    assert daily["no_erased_persons_int_recommendation_interactions_refit_"] == 0

    whole = _test_failures(scenario, planted, tmp_path, "all")
    assert whole["assert_duplicates_keep_their_first_copy"] == 2
    assert whole["no_erased_persons_int_identifiers_resolved_at_refit_"] > 0
    assert whole["no_erased_persons_int_recommendation_interactions_refit_"] > 0


def test_late_events_reach_the_warehouse(scenario: Scenario) -> None:
    """The late file in an already built partition and the last day's events that happened days before it
    are stored, and their persons are folded in on the last day."""
    assert scenario.late_file_rows > 0 and scenario.late_events_on_last_day > 0
    [(late_stored,)] = _rows(
        scenario.incremental, "select count(*) from main.int_events_unified where starts_with(event_id, 'late-')"
    )
    assert late_stored == scenario.late_file_rows
    [(late_persons, late_rescored)] = _rows(
        scenario.incremental,
        f"""
        with late as (
            select distinct person_id from main.int_events_identified
            where
                dt = date '{scenario.days[-1]}' and person_id is not null
                and occurred_at < date '{scenario.days[-1]}' - interval 2 day
        )
        select count(*), count(*) filter (where person_id in (
            select person_id from main.int_recommendations_scored where scored_at > factors_fitted_at))
        from late
        where person_id in (select person_id from main.fct_recommendations)
        """,
    )
    assert late_persons > 0 and late_rescored == late_persons


# ---- the corrected re-delivery ---------------------------------------------------------------------------


def test_corrected_redelivery_is_read_again(scenario: Scenario) -> None:
    """The re-delivered partition lies before every window the build re-reads for other reasons, keeps its
    row count, and its corrected items are what the incremental warehouse stores (the stale ones are gone)."""
    redelivery = scenario.redelivered
    assert redelivery.corrected_rows > 0
    assert redelivery.dt < redelivery.oldest_stored_dt_in_late_window
    with _attached(incremental=scenario.incremental, full_refresh=scenario.full_refresh,
                   before=scenario.refit_day) as con:
        stored_rows = con.execute(
            f"select count(*) from incremental.main.base_events__events where dt = '{redelivery.dt}'"
        ).fetchall()[0][0]
        stale_items, items_changed = con.execute(
            f"""
            select
                count(*) filter (where incremental_events.item_id is distinct from full_refresh_events.item_id),
                count(*) filter (where incremental_events.item_id is distinct from before_events.item_id)
            from incremental.main.int_events_identified as incremental_events
            inner join full_refresh.main.int_events_identified as full_refresh_events using (event_id)
            inner join before.main.int_events_identified as before_events using (event_id)
            where incremental_events.dt = '{redelivery.dt}'
            """
        ).fetchall()[0]
    assert stored_rows == redelivery.rows
    assert stale_items == 0
    # the daily build before the re-delivery stored the old items: the incremental runs did read it again
    assert items_changed > 0


def test_redacted_partitions_are_not_read_again(scenario: Scenario) -> None:
    """Redaction keeps every partition's row count and landing fingerprint, so the reprocess window of the
    next run does not start at a partition because it holds erased rows."""
    landing = _events_folder(scenario.landing)
    with duckdb.connect(str(scenario.incremental), read_only=True) as con:
        differing = con.execute(
            f"""
            with landed as (
                select cast(dt as date) as dt, count(*) as row_count
                from read_parquet('{landing}/dt=*/*.parquet', hive_partitioning = true, union_by_name = true)
                group by 1
            ),
            stored as (
                select dt, count(*) as row_count, count(distinct landing_fingerprint) as fingerprints
                from main.base_events__events group by 1
            )
            select count(*) from landed full join stored using (dt)
            where landed.row_count is distinct from stored.row_count or stored.fingerprints != 1
            """
        ).fetchall()[0][0]
        erased_partitions = con.execute(
            "select count(distinct dt) from main.base_events__events where quarantine_reason = 'erased'"
        ).fetchall()[0][0]
    assert erased_partitions > 1
    assert differing == 0


# ---- erasure ---------------------------------------------------------------------------------------------


def _erased_rows(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str]) -> int:
    """Rows of `table` carrying an identifier of the warehouse's tombstones."""
    conditions = " or ".join(
        f"{type_sql} || ':' || {column} in (select tombstone_id from main.int_erasure_tombstones)"
        for column, type_sql in columns.items()
    )
    return con.execute(f"select count(*) from main.{table} where {conditions}").fetchall()[0][0]


def test_no_stored_table_keeps_a_record_of_an_erased_person(scenario: Scenario) -> None:
    """After incremental runs (and after a full refresh), the stored base tables, the identity graph and the
    staging views over single-file sources hold no identifier of an erased person."""
    assert scenario.first_tombstones, "the first build tombstoned nobody: the check would prove nothing"
    for warehouse in (scenario.incremental, scenario.full_refresh):
        with duckdb.connect(str(warehouse), read_only=True) as con:
            set_session_salt(con, SALT)
            found = {t: n for t, cols in ERASED_RECORD_COLUMNS.items() if (n := _erased_rows(con, t, cols))}
            erased = con.execute(
                "select count(*) from main.base_events__events where quarantine_reason = 'erased'"
            ).fetchall()[0][0]
        assert not found, f"{warehouse.name}: records of erased persons in {found}"
        assert erased > 0


def test_the_person_erased_on_a_daily_run_appears_nowhere(scenario: Scenario) -> None:
    """The trained person whose erasure request landed on day 1 is tombstoned, and neither their person id nor
    their login is in any column of any relation but the erasure ledger, in either warehouse; on the refit
    day they had factors and recommendations."""
    assert _one(
        scenario.refit_day,
        "select count(*) from main.int_recommendation_factors_fitted where person_id = ?",
        [scenario.erased_person],
    )[0] > 0
    for warehouse in (scenario.incremental, scenario.full_refresh):
        with duckdb.connect(str(warehouse), read_only=True) as con:
            set_session_salt(con, SALT)
            [(tombstoned,)] = con.execute(
                "select count(*) from main.int_persons_erased where person_id = ?", [scenario.erased_person]
            ).fetchall()
            columns: dict[str, list[str]] = {}
            for table, column in con.execute(
                "select table_name, column_name from information_schema.columns"
                " where table_schema = 'main' and data_type = 'VARCHAR' order by all"
            ).fetchall():
                columns.setdefault(table, []).append(column)
            found = {}
            for table, names in columns.items():
                if table in ERASURE_LEDGER or table.startswith(("base_privacy__erasure", "stg_privacy__erasure")):
                    continue
                condition = " or ".join(f'"{name}" in ($person, $user)' for name in names)
                [(n,)] = con.execute(
                    f'select count(*) from main."{table}" where {condition}',
                    {"person": scenario.erased_person, "user": scenario.erased_user},
                ).fetchall()
                if n:
                    found[table] = n
        assert tombstoned == 1
        assert not found, f"{warehouse.name}: the erased person is still in {found}"


def _erased_person_records(db: Path, tombstone_ids: list[str]) -> set[tuple[str, str]]:
    """(extract_name, record_id) of the snapshot extracts' clean records in `db` that carry one of
    `tombstone_ids` (an identifier as `type:value`)."""
    with duckdb.connect(str(db), read_only=True) as con:
        set_session_salt(con, SALT)
        found: set[tuple[str, str]] = set()
        for extract, (model, key, columns) in EXTRACT_RECORD_COLUMNS.items():
            carried = " or ".join(f"list_contains($ids, {kind} || ':' || {column})" for column, kind in columns.items())
            query = f"select '{extract}', cast({key} as varchar) from main.{model} where {carried}"
            found |= set(con.execute(query, {"ids": tombstone_ids}).fetchall())
    return found


def test_the_arrival_store_forgets_an_erased_persons_records(scenario: Scenario) -> None:
    """int_extract_versions_arrived keeps record keys of the snapshot extracts (a CRM contact's key is an
    identifier): the erased person's records of every extract (held on the refit day) leave it on the build
    that first sees the erasure request, although staging still held them while that build ran, and stay out."""
    [(tombstone_ids,)] = _rows(
        scenario.erasure_day,
        "select list(tombstone_id order by tombstone_id) from main.int_erasure_tombstones where person_id = ?",
        [scenario.erased_person],
    )
    erased_records = _erased_person_records(scenario.refit_day, tombstone_ids)
    # a contact (whose key is itself an identifier), consent events and assignments in this scenario
    assert {"crm.contacts", "privacy.consent_events"} <= {extract for extract, _ in erased_records}, erased_records
    for warehouse in (scenario.refit_day, scenario.erasure_day, scenario.incremental, scenario.full_refresh):
        stored = set(_rows(warehouse, "select extract_name, record_id from main.int_extract_versions_arrived"))
        if warehouse == scenario.refit_day:
            assert erased_records <= stored
        else:
            assert not erased_records & stored, f"{warehouse.name}: {sorted(erased_records & stored)}"


def test_the_lines_of_erased_orders_are_quarantined_as_erased(scenario: Scenario) -> None:
    """An order line carries no identifier: it is erased through its order (the privacy scans cannot see a
    line that stayed clean). Every landed line of an order quarantined as `erased` is in the order items'
    quarantine as `erased` too, and none is clean, in the daily builds and the full refresh alike."""
    items = scenario.landing / "commerce" / "order_items" / "order_items.parquet"
    for warehouse in (scenario.erasure_day, scenario.incremental, scenario.full_refresh):
        with duckdb.connect(str(warehouse), read_only=True) as con:
            set_session_salt(con, SALT)
            con.execute(
                f"""create temp table erased_lines as
                    select distinct order_item_id from read_parquet('{items}')
                    where order_id in (
                        select order_id from main.stg_commerce__orders_quarantine where quarantine_reason = 'erased'
                    )"""
            )
            [(lines,)] = con.execute("select count(*) from erased_lines").fetchall()
            [(clean,)] = con.execute(
                "select count(*) from main.stg_commerce__order_items where order_item_id in (from erased_lines)"
            ).fetchall()
            reasons = con.execute(
                "select quarantine_reason, count(distinct order_item_id) from main.stg_commerce__order_items_quarantine"
                " where order_item_id in (from erased_lines) group by all"
            ).fetchall()
        assert lines > 0, f"{warehouse.name}: no erased order has lines: the check would prove nothing"
        assert clean == 0, f"{warehouse.name}: {clean} lines of erased orders stay clean"
        assert reasons == [("erased", lines)], f"{warehouse.name}: {reasons} of {lines} lines"


def test_tombstones_outlive_the_records_they_erased(scenario: Scenario) -> None:
    """Every tombstone of the first build is still there after the incremental runs, although staging no
    longer gives the identity graph any record of the erased persons, and is kept in the store too."""
    kept = _tombstone_ids(scenario.incremental)
    with duckdb.connect(str(scenario.incremental), read_only=True) as con:
        stored = frozenset(
            row[0] for row in con.execute("select tombstone_id from main.erasure_tombstones_applied").fetchall()
        )
        in_graph = _erased_rows(con, "int_identifiers_resolved", ERASED_RECORD_COLUMNS["int_identifiers_resolved"])
        persons = con.execute("select count(*) from main.int_persons_erased").fetchall()[0][0]
    assert scenario.first_tombstones < kept  # the daily run's request added tombstones
    assert kept == stored
    assert in_graph == 0
    assert persons > 0


def test_a_relanded_record_of_an_erased_person_is_stored_redacted(scenario: Scenario) -> None:
    """An event of an erased person's device landing after the erasure is read once, kept in the base table as
    an `erased` row without identifiers or payload, and reaches no model."""
    with duckdb.connect(str(scenario.incremental), read_only=True) as con:
        stored = con.execute(
            "select quarantine_reason, anonymous_id, user_id, event_type, raw_record from main.base_events__events"
            " where starts_with(event_id, 'relanded-')"
        ).fetchall()
        unified = con.execute(
            "select count(*) from main.int_events_unified where starts_with(event_id, 'relanded-')"
            f" or anonymous_id = '{scenario.relanded_device}'"
        ).fetchall()[0][0]
    assert stored == [("erased", None, None, None, '{"erased": true}')]
    assert unified == 0


# ---- the recommender's cadence ---------------------------------------------------------------------------


@pytest.mark.parametrize("day, expected_reason", [("refit_day", "cadence"), ("erasure_day", "erasure")])
def test_refit_day_fits_and_scores_everyone_at_the_refit(scenario: Scenario, day: str, expected_reason: str) -> None:
    """The day 0 build rests on a cadence refit of its own date, the day 1 build on the erasure's: everyone is
    scored at the refit instant, and only the rows the refit served from popularity are rescored."""
    warehouse = getattr(scenario, day)
    [(reason, fitted_at, as_of)] = _rows(
        warehouse, "select refit_reason, refit_at, as_of_at from main.int_recommendation_refit_planned"
    )
    assert reason == expected_reason
    assert fitted_at == dt.datetime.combine(as_of.date() + dt.timedelta(days=1), dt.time())
    [(kept, other_fit)] = _rows(
        warehouse,
        """select count(*) filter (where scored_at = factors_fitted_at),
                  count(*) filter (where factors_fitted_at != planned.refit_at)
           from main.fct_recommendations cross join main.int_recommendation_refit_planned as planned""",
    )
    assert kept > 0 and other_fit == 0
    # only rows the refit scored from popularity are rescored with the day's data
    [(personal_rescored,)] = _rows(
        warehouse,
        """select count(*) from main.fct_recommendations
           where scored_at > factors_fitted_at and person_id in (
               select person_id from main.fct_recommendations where is_personalized
               group by person_id having count(*) = count(*) filter (where scored_at > factors_fitted_at))""",
    )
    assert personal_rescored == 0


def test_fold_in_day_keeps_the_refit_and_rescores_only_changed_persons(scenario: Scenario) -> None:
    """The last day rests on the erasure day's refit: the same refit instant, input and fit, later as-of;
    the persons changed since are folded in and rescored, everyone else keeps the erasure day's row."""
    with _attached(today=scenario.incremental, refit_day=scenario.erasure_day) as con:
        [(same_refit, same_input, today_later)] = con.execute(
            """select today.refit_at = refit_day.refit_at, today.input_fingerprint = refit_day.input_fingerprint,
                      (select as_of_at from today.main.int_recommendation_refit_planned) > today.refit_at
               from today.main.int_recommendation_refit_fingerprinted as today
               cross join refit_day.main.int_recommendation_refit_fingerprinted as refit_day"""
        ).fetchall()
        [(kept, rescored, changed, not_rescored_changed)] = con.execute(
            """select count(distinct person_id) filter (where scored_at = factors_fitted_at),
                      count(distinct person_id) filter (where scored_at > factors_fitted_at),
                      (select count(*) from today.main.int_recommendation_persons_changed),
                      count(distinct person_id) filter (where scored_at = factors_fitted_at and person_id in (
                          select person_id from today.main.int_recommendation_persons_changed))
               from today.main.fct_recommendations"""
        ).fetchall()
        fit_ids = con.execute(
            "select distinct fit_id from today.main.int_recommendation_factors_fitted"
            " union select distinct fit_id from refit_day.main.int_recommendation_factors_fitted"
        ).fetchall()
        fit_sql = "select item_id, factors from {}.main.int_recommendation_factors_fitted where item_id is not null"
        factors_differing = con.execute(
            f"select count(*) from ({fit_sql.format('today')} except {fit_sql.format('refit_day')})"
        ).fetchall()[0][0]
        rows_sql = "select person_id, rank, item_id, score, rec_source from {}.main.fct_recommendations where {}"
        kept_rows_differing = con.execute(
            f"""select count(*) from ({rows_sql.format("today", "scored_at = factors_fitted_at")}
                except {rows_sql.format("refit_day", "true")})"""
        ).fetchall()[0][0]
        # the refit's training rows without their person: what an identity merge leaves unchanged
        training_sql = (
            "select item_id, weight, has_purchased, last_interaction_at, last_purchased_at"
            " from {}.main.int_recommendation_interactions_refit where is_consented"
        )
        training_rows_differing = sum(
            con.execute(
                f"select count(*) from ({training_sql.format(a)} except all {training_sql.format(b)})"
            ).fetchall()[0][0]
            for a, b in (("today", "refit_day"), ("refit_day", "today"))
        )
    assert same_refit and today_later
    assert kept > 0 and changed > 0 and rescored >= changed and not_rescored_changed == 0
    # the same input read at the same refit date: the same fit (one fit id on both days) and, for persons not
    # rescored, the same rows. Nothing landed on this day is known before the refit instant, and the day's
    # identity merges (test_an_identity_merge_of_a_trained_person_is_folded_in) leave the refit's input as
    # it was: it is keyed by persons as known at the refit instant (docs/recommendations.md, "Refit cadence").
    assert training_rows_differing == 0
    assert same_input and factors_differing == 0
    assert len(fit_ids) == 1
    assert kept_rows_differing == 0


def _fit_kept(con: duckdb.DuckDBPyConnection) -> tuple[bool, int]:
    """Whether the refit fingerprint of `today` (an attached warehouse) is `refit_day`'s, and how many item
    factor rows (with their fit id) differ between the two, both ways."""
    [(same_fingerprint,)] = con.execute(
        """select today.input_fingerprint = refit_day.input_fingerprint
           from today.main.int_recommendation_refit_fingerprinted as today
           cross join refit_day.main.int_recommendation_refit_fingerprinted as refit_day"""
    ).fetchall()
    fit_sql = "select item_id, factors, fit_id from {}.main.int_recommendation_factors_fitted where item_id is not null"
    factors_differing = sum(
        con.execute(f"select count(*) from ({fit_sql.format(a)} except {fit_sql.format(b)})").fetchall()[0][0]
        for a, b in (("today", "refit_day"), ("refit_day", "today"))
    )
    return same_fingerprint, factors_differing


def test_a_late_login_of_earlier_activity_keeps_the_fit(scenario: Scenario) -> None:
    """The fold-in day's late event happened before the refit instant and links two trained persons for the
    first time. Its identity edge is first seen before the instant but first known after it, so the map as
    known at the instant keeps the two apart, and the refit's input, fingerprint and item factors stay the
    erasure day's (test_fold_in_day_keeps_the_refit_and_rescores_only_changed_persons checks the rest);
    today's map merges them, and the merged person is folded in."""
    login = scenario.late_login
    with _attached(today=scenario.incremental, refit_day=scenario.erasure_day) as con:
        [(refit_at,)] = con.execute("select refit_at from today.main.int_recommendation_refit_planned").fetchall()
        edges = con.execute(
            """select first_seen_at, first_known_at from today.main.int_identity_edges
               where edge_source = 'events.events' and left_type = 'user_id' and left_value = ?
                   and right_type = 'anonymous_id' and right_value = ?""",
            [login.user, login.device],
        ).fetchall()
        at_refit = dict(con.execute(
            """select identifier_value, person_id from today.main.int_identifiers_resolved_at_refit
               where (identifier_type, identifier_value) in (('anonymous_id', ?), ('user_id', ?))""",
            [login.device, login.user],
        ).fetchall())
        today = dict(con.execute(
            """select identifier_value, person_id from today.main.int_identifiers_retained
               where (identifier_type, identifier_value) in (('anonymous_id', ?), ('user_id', ?))""",
            [login.device, login.user],
        ).fetchall())
        # the device's activity is part of the refit's input: a merge known at the instant would move it
        [(device_training_rows,)] = con.execute(
            """select count(*) from refit_day.main.int_recommendation_interactions_refit
               where person_id = ? and is_consented""",
            [login.device_person],
        ).fetchall()
        same_fingerprint, factors_differing = _fit_kept(con)
        [(reasons,)] = con.execute(
            "select change_reasons from today.main.int_recommendation_persons_changed where person_id = ?",
            [login.user_person],
        ).fetchall() or [("",)]
    assert edges and all(seen < refit_at <= known for seen, known in edges), edges
    assert at_refit == {login.device: login.device_person, login.user: login.user_person}
    assert today == {login.device: login.user_person, login.user: login.user_person}
    assert device_training_rows > 0
    assert same_fingerprint and factors_differing == 0
    assert "identity_change" in reasons.split(",")


def test_late_snapshot_records_of_earlier_times_keep_the_fit(scenario: Scenario) -> None:
    """The fold-in day's extracts bring an order and a personalization revocation dated before the refit
    instant that no earlier extract held. They arrived after the instant (int_extract_versions_arrived), so
    the refit's input, fingerprint and item factors stay the erasure day's; today's data has them, so their
    persons are folded in (the purchase, the revocation), as in the full refresh, which keeps the arrivals."""
    late = scenario.late_snapshot
    with _attached(today=scenario.incremental, refit_day=scenario.erasure_day, refreshed=scenario.full_refresh) as con:
        [(refit_at,)] = con.execute("select refit_at from today.main.int_recommendation_refit_planned").fetchall()
        arrivals = dict(con.execute(
            """select record_id, (version_at < ? and arrived_at >= ?)
               from today.main.int_extract_versions_arrived
               where (extract_name, record_id) in (('commerce.orders', ?), ('privacy.consent_events', ?))""",
            [refit_at, refit_at, late.order_id, late.consent_event_id],
        ).fetchall())
        same_arrivals = con.execute(
            """select count(*) from (select * from today.main.int_extract_versions_arrived
               except select * from refreshed.main.int_extract_versions_arrived)"""
        ).fetchall()[0][0] == 0
        purchase = con.execute(
            """select person_id, occurred_at < ?, known_at >= ? from today.main.int_interactions_weighted
               where interaction_id = ?""",
            [refit_at, refit_at, late.order_item_id],
        ).fetchall()
        same_fingerprint, factors_differing = _fit_kept(con)
        reasons = dict(con.execute(
            "select person_id, change_reasons from today.main.int_recommendation_persons_changed"
            " where person_id in (?, ?)",
            [late.order_person, late.consent_person],
        ).fetchall())
        consent_sources = {row[0] for row in con.execute(
            "select distinct rec_source from today.main.fct_recommendations where person_id = ?",
            [late.consent_person],
        ).fetchall()}
    assert arrivals == {late.order_id: True, late.consent_event_id: True}, arrivals
    assert same_arrivals
    assert purchase == [(late.order_person, True, True)], purchase
    assert same_fingerprint and factors_differing == 0
    assert "new_interactions" in reasons.get(late.order_person, "").split(","), reasons
    assert "consent_change" in reasons.get(late.consent_person, "").split(","), reasons
    assert consent_sources == {"global_popularity"}, consent_sources


def test_an_identity_merge_of_a_trained_person_is_folded_in(scenario: Scenario) -> None:
    """The fold-in day's new logins merge persons the erasure day's fit trained on (the generator plants
    links every day). The fit stays (test_fold_in_day_keeps_the_refit_and_rescores_only_changed_persons):
    the person each merged identifier has today carries the reason `identity_change` and all its rows are
    rescored, and the person it had at the refit instant, absorbed, has neither rows nor factors. The full
    refresh gives the same rows (test_every_table_equals_a_full_refresh compares
    int_identifiers_resolved_at_refit and int_recommendation_persons_changed with every other table)."""
    with _attached(today=scenario.incremental, refit_day=scenario.erasure_day) as con:
        merged = con.execute(
            """select distinct at_refit.person_id, today.person_id
               from today.main.int_identifiers_resolved_at_refit as at_refit
               inner join today.main.int_identifiers_retained as today
                   on at_refit.identifier_type = today.identifier_type
                   and at_refit.identifier_value = today.identifier_value
               where at_refit.person_id != today.person_id
                   and at_refit.person_id in (
                       select person_id from refit_day.main.int_recommendation_factors_fitted
                       where person_id is not null)
               order by all"""
        ).fetchall()
        # the scenario must keep such a merge, or this test and the strict fold-in test prove nothing about it
        assert merged, "the fold-in day merged no person the refit trained on: plant such a merge"
        for at_refit, today in merged:
            [(reasons,)] = con.execute(
                "select change_reasons from today.main.int_recommendation_persons_changed where person_id = ?",
                [today],
            ).fetchall() or [("",)]
            [(rows, rescored)] = con.execute(
                """select count(*), count(*) filter (where scored_at > factors_fitted_at)
                   from today.main.fct_recommendations where person_id = ?""",
                [today],
            ).fetchall()
            absorbed = {
                table: con.execute(
                    f"select count(*) from today.main.{table} where person_id = ?", [at_refit]
                ).fetchall()[0][0]
                for table in ("fct_recommendations", "int_recommendations_scored", "int_recommendation_factors_fitted")
            }
            assert "identity_change" in reasons.split(","), f"{today} (absorbed {at_refit}): reasons {reasons!r}"
            assert rows > 0 and rescored == rows, f"{today}: {rescored} of {rows} rows rescored"
            assert not any(absorbed.values()), f"the absorbed {at_refit} still has rows: {absorbed}"


def test_a_revoked_person_is_rescored_from_popularity(scenario: Scenario) -> None:
    """The revocation landed on the fold-in day: served from popularity, rescored, no factors, their
    interactions flagged as not consented (those made while consent held are kept)."""
    for warehouse in (scenario.incremental, scenario.full_refresh):
        rows = _rows(
            warehouse,
            "select rec_source, scored_at > factors_fitted_at from main.fct_recommendations where person_id = ?",
            [scenario.revoked_person],
        )
        assert rows and all(source == "global_popularity" and rescored for source, rescored in rows)
        assert _one(
            warehouse,
            "select count(*) from main.int_recommendation_factors_fitted where person_id = ?",
            [scenario.revoked_person],
        ) == (0,)
        consented = _rows(
            warehouse,
            "select distinct has_personalization_consent from main.int_interactions_consented where person_id = ?",
            [scenario.revoked_person],
        )
        assert consented in ([], [(False,)])


def test_the_erasure_refits_and_the_last_day_folds_in_against_it(scenario: Scenario) -> None:
    """The erasure request of day 1 moved the refit date to day 1 (the fit without the erased person); day 2
    keeps that fit and folds in the changed persons. The full refresh at day 3 plans the same refit (date,
    reason, instant, fit id) and rescores the same persons at the same instant."""
    erasure_day = dt.date.fromisoformat(scenario.days[1])
    for warehouse in (scenario.incremental, scenario.full_refresh):
        [(refit_date, reason, refit_at, as_of_at)] = _rows(
            warehouse, "select refit_date, refit_reason, refit_at, as_of_at from main.int_recommendation_refit_planned"
        )
        assert (refit_date, reason) == (erasure_day, "erasure")
        assert refit_at == dt.datetime.combine(erasure_day + dt.timedelta(days=1), dt.time())
        assert as_of_at.date() == dt.date.fromisoformat(scenario.days[-1])
    fits = [
        _rows(warehouse, "select distinct fit_id from main.int_recommendations_scored")
        for warehouse in (scenario.incremental, scenario.full_refresh)
    ]
    assert fits[0] == fits[1] and len(fits[0]) == 1
    assert fits[0][0][0] not in {row[0] for row in _rows(
        scenario.refit_day, "select distinct fit_id from main.int_recommendation_factors_fitted")}
    rescored = [
        _rows(
            warehouse,
            "select person_id, scored_at from main.int_recommendations_scored"
            " where scored_at > factors_fitted_at group by all order by all",
        )
        for warehouse in (scenario.incremental, scenario.full_refresh)
    ]
    assert rescored[0] and rescored[0] == rescored[1]
