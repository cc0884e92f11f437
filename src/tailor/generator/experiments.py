"""The experiment registry (mirrored by seeds/experiment_registry.csv) and the planted assignments."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Experiment:
    experiment_id: str
    name: str
    hypothesis: str
    primary_metric: str
    guardrail_metrics: tuple[str, ...]
    variants: tuple[str, ...]
    planned_split: tuple[float, ...]
    unit_type: str
    started_at: str
    ended_at: str
    min_units_per_variant: int
    kind: str  # ab | aa | srm
    assigned_split: tuple[float, ...]  # what the generator really does
    conversion_lift: float  # planted relative lift on conversion_rate (treatment vs control)
    rec_ctr_lift: float  # planted relative lift on rec_ctr

    @property
    def start_s(self) -> float:
        return _parse(self.started_at)

    @property
    def end_s(self) -> float:
        return _parse(self.ended_at)


def _parse(stamp: str) -> float:
    moment = dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    return moment.timestamp()


REGISTRY: tuple[Experiment, ...] = (
    Experiment(
        "exp_homepage_aa", "Homepage A/A calibration",
        "Two identical homepages: no metric should differ beyond chance.",
        "conversion_rate", ("rec_ctr", "revenue_per_user", "session_duration"), ("control", "treatment"),
        (0.5, 0.5), "anonymous_id", "2026-10-05T00:00:00Z", "2026-10-26T00:00:00Z", 100,
        "aa", (0.5, 0.5), 0.0, 0.0,
    ),
    Experiment(
        "exp_rec_carousel", "Personalized recommendation carousel",
        "A personalized carousel on home and product pages lifts conversion and recommendation clicks.",
        "conversion_rate", ("rec_ctr", "revenue_per_user", "session_duration"), ("control", "treatment"),
        (0.5, 0.5), "user_id", "2026-10-10T00:00:00Z", "2026-11-01T00:00:00Z", 100,
        "ab", (0.5, 0.5), 0.20, 0.30,
    ),
    Experiment(
        "exp_checkout_srm", "One-page checkout",
        "A one-page checkout raises conversion.",
        "conversion_rate", ("revenue_per_user", "session_duration"), ("control", "treatment"),
        (0.5, 0.5), "user_id", "2026-10-15T00:00:00Z", "2026-10-29T00:00:00Z", 100,
        "srm", (0.65, 0.35), 0.0, 0.0,
    ),
)
REGISTRY_COLUMNS = (
    "experiment_id", "name", "hypothesis", "primary_metric", "guardrail_metrics", "variants", "planned_split",
    "unit_type", "started_at", "ended_at", "min_units_per_variant",
)


def registry_csv() -> str:
    """The seed file content of the registry (what seeds/experiment_registry.csv must hold)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(REGISTRY_COLUMNS)
    for e in REGISTRY:
        writer.writerow([
            e.experiment_id, e.name, e.hypothesis, e.primary_metric, "|".join(e.guardrail_metrics),
            "|".join(e.variants), "|".join(f"{w:g}" for w in e.planned_split), e.unit_type, e.started_at,
            e.ended_at, e.min_units_per_variant,
        ])
    return buffer.getvalue()


@dataclass(frozen=True)
class Assignment:
    experiment: Experiment
    unit: np.ndarray  # person index (user_id units) or device slot (anonymous_id units)
    person: np.ndarray
    variant: np.ndarray  # 0 = control
    assigned_at: np.ndarray  # epoch seconds


@dataclass(frozen=True)
class ExperimentUnits:
    """What the truth needs per assigned unit of one experiment (a column each, in truth-table order)."""

    experiment_id: np.ndarray
    person: np.ndarray
    variant: np.ndarray
    assigned_at: np.ndarray
    p_base: np.ndarray  # control conversion probability of the unit's persona
    converted_draw: np.ndarray  # planted conversion draw (exp_rec_carousel; False elsewhere)
    rec_impressions: np.ndarray  # since assignment (exp_rec_carousel; 0 elsewhere)
    rec_clicks: np.ndarray


# Sessions must start this long before the end of an experiment to be assigned (so they finish inside).
ASSIGN_MARGIN_S = 2 * 3600.0


def assign(rng: np.random.Generator, experiment: Experiment, s_person: np.ndarray, s_slot: np.ndarray,
           s_start: np.ndarray, s_logged_in: np.ndarray, slot_shared: np.ndarray) -> Assignment:
    """Units enter an experiment at their first eligible session inside its window.

    User units need a logged-in session; anonymous units are devices (a borrowed shared device is left out,
    so each anonymous_id is assigned once)."""
    inside = (s_start >= experiment.start_s) & (s_start < experiment.end_s - ASSIGN_MARGIN_S)
    if experiment.unit_type == "user_id":
        eligible = inside & s_logged_in
        key = s_person
    else:
        eligible = inside & ~slot_shared[s_slot]
        key = s_slot
    idx = np.flatnonzero(eligible)
    order = np.lexsort((s_start[idx], key[idx]))
    idx = idx[order]
    first = np.ones(len(idx), dtype=bool)
    first[1:] = key[idx][1:] != key[idx][:-1]
    idx = idx[first]
    variant = (rng.random(len(idx)) >= experiment.assigned_split[0]).astype(np.int64)
    return Assignment(experiment, key[idx], s_person[idx], variant, s_start[idx].astype(float))
