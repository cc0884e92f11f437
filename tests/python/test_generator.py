"""Tests of the sample-data generator: contract, determinism, planted truth, scales, holdback and land-day."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from tailor.generator import SCALES, generate, land_day
from tailor.generator.config import PLACEHOLDER_USER_IDS
from tailor.generator.dirty import REASONS
from tailor.generator.experiments import REGISTRY, registry_csv
from tailor.generator.output import ARROW_TYPES
from tailor.landing import EVENT_TYPES, TABLES, known_values

REPO = Path(__file__).resolve().parents[2]
SMALL = dataclasses.replace(SCALES["tiny"], name="unit", n_persons=300, n_items=120, days=20, chunk_persons=150)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen")
    generate(SMALL, out, seed=7, holdback_days=2, workers=2)
    return out


def landing(out: Path) -> Path:
    return out / "landing" / SMALL.name


def truth(out: Path) -> Path:
    return out / "truth" / SMALL.name


def read_all(root: Path) -> dict[str, pd.DataFrame]:
    """Every parquet file under root, keyed by relative path (stream parts included)."""
    return {str(p.relative_to(root)): pq.read_table(p).to_pandas() for p in sorted(root.rglob("*.parquet"))}


def test_same_seed_reproduces_identical_data(world: Path, tmp_path: Path) -> None:
    generate(SMALL, tmp_path, seed=7, holdback_days=2, workers=1)  # the world fixture used two processes
    first, second = read_all(world), read_all(tmp_path)
    assert first.keys() == second.keys()
    for path, frame in first.items():
        pd.testing.assert_frame_equal(frame, second[path], obj=path)
    for name in ("manifest.json", "experiments.json"):
        assert (truth(world) / name).read_text() == (truth(tmp_path) / name).read_text()


def test_different_seed_differs(world: Path, tmp_path: Path) -> None:
    generate(SMALL, tmp_path, seed=8, holdback_days=2, workers=1)
    a = pq.read_table(landing(world) / "commerce/orders/orders.parquet").to_pandas()
    b = pq.read_table(landing(tmp_path) / "commerce/orders/orders.parquet").to_pandas()
    assert not a.equals(b)


def test_every_landing_table_matches_the_contract(world: Path) -> None:
    root = landing(world)
    assert (root / "_SUCCESS").exists()
    for t in TABLES:
        files = sorted(root.glob(t.path))
        assert files, f"{t.source}.{t.name}: no files at {t.path}"
        for f in files:
            schema = pq.read_schema(f)
            assert schema.names == list(t.columns), f
            assert [schema.field(c).type for c in t.columns] == [ARROW_TYPES[k] for k in t.columns.values()], f
        if t.partitioned:
            con = duckdb.connect()
            bad = con.sql(f"""
                select count(*) from read_parquet('{root / t.path}', hive_partitioning = true)
                where left(received_at, 10) <> cast(dt as varchar)
            """).fetchall()[0][0]
            assert bad == 0, f"{t.name}: rows whose received_at date differs from their dt partition"


def test_registry_seed_matches_the_generator() -> None:
    assert (REPO / "seeds" / "experiment_registry.csv").read_text() == registry_csv()


# --- a reference quarantine: the brief's checks, first match wins ------------------------------------------

TS = "try_cast(replace({0}, 'Z', '') as timestamp)"
EMAIL_OK = "regexp_full_match(lower(trim({0})), '[^@\\s]+@[^@\\s]+\\.[^@\\s]+')"


def _reasons_sql(root: Path) -> dict[str, str]:
    def src(path: str) -> str:
        return f"read_parquet('{root / path}', filename = true, file_row_number = true, hive_partitioning = true)"

    def dup(key: str, partitioned: bool) -> str:
        order = "dt, filename, file_row_number" if partitioned else "file_row_number"
        return f"row_number() over (partition by {key} order by {order}) > 1"

    ts, email = TS.format, EMAIL_OK.format

    def old(*columns: str) -> str:  # before var earliest_valid_timestamp
        return " or ".join(f"{ts(c)} < timestamp '2000-01-01'" for c in columns)

    experiments = ", ".join(f"'{e.experiment_id}'" for e in REGISTRY)
    types = ", ".join(f"'{t}'" for t in EVENT_TYPES)

    def in_list(vocabulary: str) -> str:
        return "(" + ", ".join(f"'{value}'" for value in known_values(vocabulary)) + ")"
    return {
        "catalog.products": f"""select product_id as key_value, case
            when strlen(cast(raw as varchar)) > 262144 then 'oversized_record'
            when product_id is null then 'missing_product_id'
            when {dup('product_id', False)} then 'duplicate_product_id'
            when price < 0 then 'negative_price'
            when {old('created_at', 'updated_at')} then 'implausible_timestamp' end as reason
            from {src('catalog/products/*.parquet')} as raw""",
        "crm.contacts": f"""select Id as key_value, case
            when strlen(cast(raw as varchar)) > 262144 then 'oversized_record'
            when Id is null then 'missing_contact_id'
            when {dup('Id', False)} then 'duplicate_contact_id'
            when Email is not null and not {email('Email')} then 'malformed_email'
            when {ts('CreatedDate')} is null then 'invalid_timestamp'
            when {old('CreatedDate', 'LastModifiedDate')} then 'implausible_timestamp' end as reason
            from {src('crm/contacts/*.parquet')} as raw""",
        "web.pages": f"""select id as key_value, case
            when strlen(cast(raw as varchar)) > 262144 then 'oversized_record'
            when id is null then 'missing_message_id'
            when {dup('id', True)} then 'duplicate_message_id'
            when anonymous_id is null and user_id is null then 'missing_identity'
            when {ts('timestamp')} is null then 'invalid_timestamp'
            when {old('timestamp', 'received_at')} then 'implausible_timestamp'
            when {ts('timestamp')} > {ts('received_at')} + interval 60 minute then 'future_timestamp'
            end as reason from {src('web/pages/dt=*/*.parquet')} as raw""",
        "web.identifies": f"""select id as key_value, case
            when strlen(cast(raw as varchar)) > 262144 then 'oversized_record'
            when id is null then 'missing_message_id'
            when {dup('id', True)} then 'duplicate_message_id'
            when user_id is null then 'missing_user_id'
            when {ts('timestamp')} is null then 'invalid_timestamp'
            when {old('timestamp', 'received_at')} then 'implausible_timestamp'
            when {ts('timestamp')} > {ts('received_at')} + interval 60 minute then 'future_timestamp'
            end as reason from {src('web/identifies/dt=*/*.parquet')} as raw""",
        "events.events": f"""select event_id as key_value, case
            when strlen(cast(raw as varchar)) > 262144 then 'oversized_record'
            when event_id is null then 'missing_event_id'
            when {dup('event_id', True)} then 'duplicate_event_id'
            when anonymous_id is null and user_id is null then 'missing_identity'
            when {ts('event_at')} is null then 'invalid_timestamp'
            when {old('event_at', 'received_at')} then 'implausible_timestamp'
            when {ts('event_at')} > {ts('received_at')} + interval 60 minute then 'future_timestamp'
            when event_type not in ({types}) then 'unknown_event_type'
            when properties is not null and not json_valid(properties) then 'invalid_json'
            when item_id is not null and item_id not in (select key_value from clean_products) then 'orphan_item_id'
            end as reason from {src('events/events/dt=*/*.parquet')} as raw""",
        "commerce.orders": f"""select order_id as key_value, case
            when strlen(cast(raw as varchar)) > 262144 then 'oversized_record'
            when order_id is null then 'missing_order_id'
            when {dup('order_id, updated_at', False)} then 'duplicate_order_id'
            when customer_id is null then 'missing_customer_id'
            when {ts('created_at')} is null then 'invalid_timestamp'
            when {old('created_at', 'updated_at')} then 'implausible_timestamp'
            when currency not in ('USD', 'EUR', 'GBP') then 'unknown_currency'
            when least(subtotal, discount, shipping, total_amount) < 0 then 'negative_amount'
            when abs(total_amount - (subtotal - coalesce(discount, 0) + coalesce(shipping, 0))) > 0.01
                then 'total_mismatch'
            end as reason from {src('commerce/orders/*.parquet')} as raw""",
        "commerce.order_items": f"""select order_item_id as key_value, case
            when strlen(cast(raw as varchar)) > 262144 then 'oversized_record'
            when order_item_id is null then 'missing_order_item_id'
            when {dup('order_item_id', False)} then 'duplicate_order_item_id'
            when order_id not in (select key_value from clean_orders) then 'orphan_order_id'
            when product_id not in (select key_value from clean_products) then 'orphan_product_id'
            when quantity <= 0 then 'non_positive_quantity'
            when unit_price < 0 then 'negative_amount' end as reason
            from {src('commerce/order_items/*.parquet')} as raw""",
        "support.tickets": f"""select ticket_id as key_value, case
            when strlen(cast(raw as varchar)) > 262144 then 'oversized_record'
            when ticket_id is null then 'missing_ticket_id'
            when {dup('ticket_id', False)} then 'duplicate_ticket_id'
            when not {email('customer_email')} then 'malformed_email'
            when trim(coalesce(body, '')) = '' then 'empty_body'
            when {ts('created_at')} is null then 'invalid_timestamp'
            when {old('created_at')} then 'implausible_timestamp' end as reason
            from {src('support/tickets/*.parquet')} as raw""",
        "privacy.consent_events": f"""select consent_event_id as key_value, case
            when strlen(cast(raw as varchar)) > 262144 then 'oversized_record'
            when consent_event_id is null then 'missing_consent_event_id'
            when anonymous_id is null and user_id is null then 'missing_identity'
            when purpose not in {in_list('consent_purpose')} then 'unknown_purpose'
            when status not in {in_list('consent_status')} then 'invalid_status'
            when {ts('occurred_at')} is null then 'invalid_timestamp'
            when {old('occurred_at')} then 'implausible_timestamp' end as reason
            from {src('privacy/consent_events/*.parquet')} as raw""",
        "privacy.erasure_requests": f"""select request_id as key_value, case
            when strlen(cast(raw as varchar)) > 262144 then 'oversized_record'
            when request_id is null then 'missing_request_id'
            when identifier_type not in {in_list('erasure_identifier_type')}
                then 'unknown_identifier_type'
            when {ts('requested_at')} is null then 'invalid_timestamp'
            when {old('requested_at')} then 'implausible_timestamp' end as reason
            from {src('privacy/erasure_requests/*.parquet')} as raw""",
        "experiments.assignments": f"""select assignment_id as key_value, case
            when strlen(cast(raw as varchar)) > 262144 then 'oversized_record'
            when assignment_id is null then 'missing_assignment_id'
            when {dup('assignment_id', False)} then 'duplicate_assignment_id'
            when unit_id is null then 'missing_unit_id'
            when experiment_id not in ({experiments}) then 'unknown_experiment'
            when {ts('assigned_at')} is null then 'invalid_timestamp'
            when {old('assigned_at')} then 'implausible_timestamp' end as reason
            from {src('experiments/assignments/*.parquet')} as raw""",
    }


def quarantine(root: Path) -> pd.DataFrame:
    """(table, reason, key_value) of every raw row the brief's checks would quarantine."""
    con = duckdb.connect()
    sql = _reasons_sql(root)
    con.execute(f"create table products_checked as {sql['catalog.products']}")
    con.execute("create view clean_products as select key_value from products_checked where reason is null")
    con.execute(f"create table orders_checked as {sql['commerce.orders']}")
    con.execute("create view clean_orders as select key_value from orders_checked where reason is null")
    frames = []
    for name, query in sql.items():
        frame = con.sql(f"select * from ({query}) where reason is not null").df()
        frame.insert(0, "table", name)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def test_planted_dirty_rows_are_exactly_what_the_checks_find(world: Path) -> None:
    manifest = json.loads((truth(world) / "manifest.json").read_text())
    every = pd.read_parquet(truth(world) / "dirty_rows.parquet")
    for name, reasons in REASONS.items():
        assert set(every.loc[every["table"] == name, "reason"]) == set(reasons), name
    planted = every[every["dt"] <= manifest["end_date"]]
    found = quarantine(landing(world))
    key = ["table", "reason"]
    assert found.groupby(key).size().to_dict() == planted.groupby(key).size().to_dict()
    assert sorted(found["key_value"].dropna()) == sorted(planted["key_value"].dropna())
    counted = {(t, r): n for t, by_reason in manifest["dirty_counts"].items() for r, n in by_reason.items()}
    assert counted == planted.groupby(key).size().to_dict()


def test_manifest_row_counts_equal_raw_rows(world: Path) -> None:
    manifest = json.loads((truth(world) / "manifest.json").read_text())
    con = duckdb.connect()
    for t in TABLES:
        n = con.sql(f"select count(*) from read_parquet('{landing(world) / t.path}')").fetchall()[0][0]
        assert manifest["row_counts"][f"{t.source}.{t.name}"] == n, t.name
    assert manifest["n_persons"] == SMALL.n_persons
    assert manifest["blocklisted_values"] == list(PLACEHOLDER_USER_IDS)


def test_every_identifier_in_clean_rows_belongs_to_a_person(world: Path) -> None:
    root, con = landing(world), duckdb.connect()
    found = quarantine(root)
    con.register("dirty", found)
    con.register("ids", pd.read_parquet(truth(world) / "identifiers.parquet"))
    placeholders = ", ".join(f"'{v}'" for v in PLACEHOLDER_USER_IDS)
    checks = {
        "anonymous_id": [("events/events/dt=*/*.parquet", "event_id", "anonymous_id"),
                         ("web/pages/dt=*/*.parquet", "id", "anonymous_id"),
                         ("web/identifies/dt=*/*.parquet", "id", "anonymous_id"),
                         ("privacy/consent_events/*.parquet", "consent_event_id", "anonymous_id")],
        "user_id": [("events/events/dt=*/*.parquet", "event_id", "user_id"),
                    ("web/pages/dt=*/*.parquet", "id", "user_id"),
                    ("web/identifies/dt=*/*.parquet", "id", "user_id"),
                    ("commerce/orders/*.parquet", "order_id", "customer_id")],
        "email": [("web/identifies/dt=*/*.parquet", "id", "lower(trim(email))"),
                  ("commerce/orders/*.parquet", "order_id", "lower(trim(email))"),
                  ("crm/contacts/*.parquet", "Id", "lower(trim(Email))"),
                  ("support/tickets/*.parquet", "ticket_id", "lower(trim(customer_email))")],
        "crm_contact_id": [("crm/contacts/*.parquet", "Id", "Id")],
    }
    for kind, sources in checks.items():
        for path, key, expr in sources:
            unknown = con.sql(f"""
                select distinct {expr} as value from read_parquet('{root / path}')
                where {key} is not null and {key} not in (select key_value from dirty where key_value is not null)
                  and {expr} is not null and {expr} not in ({placeholders})
                except select identifier_value from ids where identifier_type = '{kind}'
            """).fetchall()
            assert unknown == [], f"{path}: {kind} values without a person: {unknown[:5]}"
    placeholder_rows = con.sql(f"""select count(*) from read_parquet('{root}/events/events/dt=*/*.parquet')
                                   where user_id in ({placeholders})""").fetchall()[0][0]
    assert placeholder_rows > 0


def test_traps_and_truth_tables_are_planted(world: Path) -> None:
    t = truth(world)
    ids = pd.read_parquet(t / "identifiers.parquet")
    shared = ids[ids["is_shared"]]
    assert (shared.groupby("identifier_value")["person_key"].nunique() >= 2).all()
    assert {"anonymous_id", "email"} <= set(shared["identifier_type"])
    persons = pd.read_parquet(t / "persons.parquet")
    assert len(persons) == SMALL.n_persons
    assert persons["is_erased"].sum() >= 2
    assert set(persons["persona"]) == {"loyal_high_value", "engaged_browser", "bargain_hunter", "new_visitor",
                                       "lapsing_customer", "content_video_heavy"}
    assert persons["favorite_categories"].map(len).between(1, 3).all()
    intervals = pd.read_parquet(t / "consent_intervals.parquet")
    assert {"analytics", "personalization", "marketing"} == set(intervals["purpose"])
    assert (~intervals["is_granted"]).any()
    experiments = json.loads((t / "experiments.json").read_text())
    assert {e.experiment_id for e in REGISTRY} == set(experiments)
    assert experiments["exp_checkout_srm"]["srm_expected"] is True
    units = pd.read_parquet(t / "experiment_units.parquet")
    rec = units[units["experiment_id"] == "exp_rec_carousel"]
    assert (rec["converted"] == rec["converted_draw"]).all()


def test_configured_scales_hold_their_shape() -> None:
    assert (SCALES["tiny"].n_persons, SCALES["tiny"].n_items, SCALES["tiny"].days) == (500, 200, 30)
    assert (SCALES["sample"].n_persons, SCALES["sample"].n_items, SCALES["sample"].days) == (5_000, 1_000, 90)
    assert (SCALES["m"].n_persons, SCALES["m"].n_items) == (100_000, 5_000)
    assert (SCALES["l"].n_persons, SCALES["l"].n_items) == (1_000_000, 50_000)
    for cfg in SCALES.values():
        assert cfg.end_date.isoformat() == "2026-10-31"
        assert cfg.n_persons % cfg.chunk_persons == 0


def test_generated_volume_follows_the_configuration(world: Path) -> None:
    manifest = json.loads((truth(world) / "manifest.json").read_text())
    per_person_day = manifest["row_counts"]["events.events"] / (SMALL.n_persons * SMALL.days)
    assert 0.7 * SMALL.events_per_person_day < per_person_day < 1.3 * SMALL.events_per_person_day
    assert manifest["n_items"] == SMALL.n_items
    parts = {p.name for p in (landing(world) / "events/events").rglob("*.parquet")}
    assert parts == {"part-00000.parquet", "part-00001.parquet"}


def test_holdback_days_land_one_at_a_time(tmp_path: Path) -> None:
    cfg = dataclasses.replace(SMALL, n_persons=150, chunk_persons=150)
    generate(cfg, tmp_path, seed=3, holdback_days=2, workers=1)
    manifest = json.loads((tmp_path / "truth/unit/manifest.json").read_text())
    assert manifest["end_date"] == "2026-10-31"
    assert manifest["pending_dates"] == ["2026-11-01", "2026-11-02"]
    root = tmp_path / "landing/unit"
    assert not list(root.glob("events/events/dt=2026-11-01/*"))
    before = pq.read_table(root / "commerce/orders/orders.parquet").num_rows

    result = land_day("unit", tmp_path)
    assert result["dt"] == "2026-11-01"
    manifest = json.loads((tmp_path / "truth/unit/manifest.json").read_text())
    assert manifest["end_date"] == "2026-11-01"
    assert manifest["pending_dates"] == ["2026-11-02"]
    assert (root / "_SUCCESS").exists()
    landed = pq.read_table(root / "events/events/dt=2026-11-01").to_pandas()
    assert len(landed) == result["rows"]["events.events"] > 0
    age = pd.to_datetime(landed["received_at"]) - pd.to_datetime(landed["event_at"], errors="coerce")
    assert (age > pd.Timedelta(hours=20)).any(), "late events arrive with the new day"
    assert pq.read_table(root / "commerce/orders/orders.parquet").num_rows >= before
    con = duckdb.connect()
    n = con.sql(f"select count(*) from read_parquet('{root}/events/events/dt=*/*.parquet')").fetchall()[0][0]
    assert manifest["row_counts"]["events.events"] == n
    planted = pd.read_parquet(tmp_path / "truth/unit/dirty_rows.parquet")
    assert sum(sum(v.values()) for v in manifest["dirty_counts"].values()) == (planted["dt"] <= "2026-11-01").sum()

    assert land_day("unit", tmp_path)["dt"] == "2026-11-02"
    with pytest.raises(FileNotFoundError):
        land_day("unit", tmp_path)


def test_personas_are_separable_by_behavior(world: Path) -> None:
    root, con = landing(world), duckdb.connect()
    con.register("ids", pd.read_parquet(truth(world) / "identifiers.parquet"))
    con.register("persons", pd.read_parquet(truth(world) / "persons.parquet"))
    con.execute(f"create view products as select * from read_parquet('{root}/catalog/products/*.parquet')")
    con.execute(f"""create view ev as select i.person_key, e.*
        from read_parquet('{root}/events/events/dt=*/*.parquet') as e
        join ids i on i.identifier_type = 'anonymous_id' and i.identifier_value = e.anonymous_id and not i.is_shared
        where json_valid(e.properties) and try_cast(replace(e.event_at, 'Z', '') as timestamp) is not null""")
    by_persona = con.sql("""
        select p.persona,
            avg(try_cast(json_extract(ev.properties, '$.seconds') as double))
                filter (where ev.event_type = 'video_play') as video_seconds,
            avg(try_cast(json_extract(ev.properties, '$.percent') as double))
                filter (where ev.event_type = 'scroll_depth') as scroll_percent,
            max(ev.event_at) as last_event_at,
            min(ev.event_at) as first_event_at,
            count(*) / count(distinct p.person_key) as events_per_person
        from ev join persons p using (person_key) group by 1
    """).df().set_index("persona")
    others = by_persona.drop(index="content_video_heavy")
    assert by_persona.loc["content_video_heavy", "video_seconds"] > 3 * others["video_seconds"].max()
    assert by_persona.loc["content_video_heavy", "scroll_percent"] > others["scroll_percent"].max()
    assert by_persona["events_per_person"].idxmax() == "engaged_browser"
    assert by_persona["events_per_person"].idxmin() == "new_visitor"
    cutoff = pd.Timestamp(SMALL.end_date) - pd.Timedelta(days=round(SMALL.days * 0.3))
    assert pd.Timestamp(by_persona.loc["lapsing_customer", "last_event_at"][:10]) < cutoff, "lapsing: last third idle"
    new_first = con.sql("""select min(ev.event_at) as first_at from ev join persons p using (person_key)
                           where p.persona = 'new_visitor' group by ev.person_key""").df()["first_at"]
    assert (pd.to_datetime(new_first.str[:10]) >= pd.Timestamp(SMALL.start_date) + pd.Timedelta(
        days=int(SMALL.days * 0.7))).mean() > 0.9

    orders = con.sql(f"""select p.persona, sum(o.discount) / sum(o.subtotal) as discount_share,
            avg(o.total_amount) as order_value
        from read_parquet('{root}/commerce/orders/*.parquet') o
        join ids i on i.identifier_type = 'user_id' and i.identifier_value = o.customer_id
        join persons p using (person_key) where o.subtotal > 0 group by 1""").df().set_index("persona")
    assert orders["discount_share"].idxmax() == "bargain_hunter"
    assert orders.loc["bargain_hunter", "order_value"] < orders.loc["loyal_high_value", "order_value"]

    in_favorites = con.sql("""
        select avg(list_contains(p.favorite_categories, pr.category)::int) from ev
        join persons p using (person_key) join products pr on pr.product_id = ev.item_id
        where ev.event_type = 'product_view'
    """).fetchall()[0][0]
    assert in_favorites > 0.7
