"""land_day(): moves the next held-back day into the landing folder, as a daily export/sink run would."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tailor.generator import output
from tailor.generator.truth import dirty_counts
from tailor.landing import CONSENT_PURPOSES, TABLES


def land_day(scale: str, out: str | Path) -> dict:
    """Copies the next pending day's stream partitions, replaces the snapshots, updates the manifest.

    Returns {"dt": day, "rows": rows landed per table}; raises FileNotFoundError when nothing is pending."""
    out = Path(out)
    landing, pending, truth = (out / part / scale for part in ("landing", "pending", "truth"))
    days = sorted(p.name for p in pending.iterdir() if p.is_dir()) if pending.is_dir() else []
    if not days:
        raise FileNotFoundError(f"no pending day under {pending}")
    day = days[0]
    source = pending / day
    (landing / "_SUCCESS").unlink(missing_ok=True)
    landed: dict[str, int] = {}
    for t in TABLES:
        name = f"{t.source}.{t.name}"
        if t.partitioned:
            files = sorted((source / t.folder / f"dt={day}").glob("*.parquet"))
            target = landing / t.folder / f"dt={day}"
            target.mkdir(parents=True, exist_ok=True)
            for f in files:
                shutil.copy2(f, target / f.name)
            landed[name] = sum(pq.read_metadata(f).num_rows for f in files)
        else:
            (landing / t.path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / t.path, landing / t.path)
            landed[name] = pq.read_metadata(source / t.path).num_rows
    shutil.rmtree(source)

    manifest = json.loads((truth / "manifest.json").read_text())
    manifest["end_date"] = day
    manifest["pending_dates"] = [d for d in manifest.get("pending_dates", []) if d > day]
    manifest["row_counts"] = output.count_rows(landing)
    dirty_rows = pd.read_parquet(truth / "dirty_rows.parquet")
    manifest["dirty_counts"] = dirty_counts(dirty_rows, day)
    output.write_json(truth / "manifest.json", manifest)
    _refresh_consent_now(truth, day)
    (landing / "_SUCCESS").write_text("")
    return {"dt": day, "rows": landed}


def _refresh_consent_now(truth: Path, day: str) -> None:
    """persons.consent_*_now as of the end of the newly landed day."""
    at = pd.Timestamp(dt.date.fromisoformat(day) + dt.timedelta(days=1), tz="UTC") - pd.Timedelta(milliseconds=1)
    intervals = pd.read_parquet(truth / "consent_intervals.parquet")
    persons = pq.read_table(truth / "persons.parquet")
    keys = persons["person_key"].to_pandas()
    for purpose in CONSENT_PURPOSES:
        rows = intervals[(intervals["purpose"] == purpose) & (intervals["valid_from"] <= at)
                         & (intervals["valid_to"].isna() | (intervals["valid_to"] > at))]
        granted = set(rows.loc[rows["is_granted"], "person_key"])
        column = f"consent_{purpose}_now"
        flag = pa.array(keys.isin(granted).to_numpy())
        persons = persons.set_column(persons.schema.get_field_index(column), column, flag)
    pq.write_table(persons, truth / "persons.parquet")
