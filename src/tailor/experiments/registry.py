"""Experiment and metric definitions, parsed from the experiment registry seed and metric catalogue rows."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

MetricKind = Literal["proportion", "mean", "ratio"]
METRIC_KINDS: tuple[str, ...] = ("proportion", "mean", "ratio")


@dataclass(frozen=True)
class MetricSpec:
    """A metric's name, statistical kind and which direction is good (used by guardrails)."""

    name: str
    kind: MetricKind
    higher_is_better: bool = True

    def __post_init__(self) -> None:
        if self.kind not in METRIC_KINDS:
            raise ValueError(f"metric {self.name!r}: kind must be one of {METRIC_KINDS}, got {self.kind!r}")


@dataclass(frozen=True)
class ExperimentSpec:
    """What the readout needs to know about one experiment."""

    experiment_id: str
    planned_split: Mapping[str, float]
    primary_metric: str
    guardrail_metrics: tuple[str, ...] = ()
    control_variant: str = "control"
    min_units_per_variant: int = 0
    alpha: float = 0.05

    @classmethod
    def from_registry_row(cls, row: Mapping[str, Any]) -> ExperimentSpec:
        """Parse a registry row; see `parse_split` and `parse_list` for the accepted cell formats.

        Control is `control_variant` when given, else 'control' when planned, else the first planned variant.
        """
        split = parse_split(row["planned_split"])
        control = _cell(row.get("control_variant"))
        if control is None:
            control = "control" if "control" in split else next(iter(split))
        min_units = _cell(row.get("min_units_per_variant"))
        alpha = _cell(row.get("alpha"))
        return cls(
            experiment_id=str(row["experiment_id"]),
            planned_split=split,
            primary_metric=str(row["primary_metric"]),
            guardrail_metrics=parse_list(row.get("guardrail_metrics")),
            control_variant=str(control),
            min_units_per_variant=int(min_units) if min_units is not None else 0,
            alpha=float(alpha) if alpha is not None else 0.05,
        )


def _cell(value: Any) -> Any:
    """None for missing cells (None, NaN, empty string), else the value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return value


def parse_split(value: Any) -> dict[str, float]:
    """Planned split as {variant: share}, shares normalised to sum to 1.

    Accepts a mapping, a JSON object string, or 'control:50|treatment:50' (separators | , ;).
    """
    if isinstance(value, Mapping):
        raw = {str(k): float(v) for k, v in value.items()}
    elif isinstance(value, str) and value.strip().startswith("{"):
        raw = {str(k): float(v) for k, v in json.loads(value).items()}
    elif isinstance(value, str):
        raw = {}
        for part in value.replace(";", "|").replace(",", "|").split("|"):
            if part.strip():
                name, _, share = part.partition(":")
                raw[name.strip()] = float(share)
    else:
        raise ValueError(f"cannot parse planned split {value!r}")
    total = sum(raw.values())
    if len(raw) < 2 or total <= 0 or any(v < 0 for v in raw.values()):
        raise ValueError(f"planned split needs >= 2 variants with non-negative shares: {value!r}")
    return {k: v / total for k, v in raw.items()}


def parse_list(value: Any) -> tuple[str, ...]:
    """Metric list from a sequence or a '|' / ',' separated string; missing cells give ()."""
    value = _cell(value)
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(p.strip() for p in value.replace(",", "|").split("|") if p.strip())
    if isinstance(value, Sequence) or hasattr(value, "tolist"):
        return tuple(str(v) for v in list(value))
    raise ValueError(f"cannot parse metric list {value!r}")


def metric_specs_from_records(records: Sequence[Mapping[str, Any]]) -> list[MetricSpec]:
    """MetricSpecs from catalogue rows with keys metric, kind and optional higher_is_better."""
    specs = []
    for rec in records:
        hib = _cell(rec.get("higher_is_better"))
        if isinstance(hib, str):
            hib = hib.strip().lower() in ("true", "1", "yes", "t")
        specs.append(MetricSpec(str(rec["metric"]), rec["kind"], True if hib is None else bool(hib)))
    return specs
