"""One recommender configuration for every entry point: dbt model meta (rendered vars), the CLI, the tests.

dbt renders vars into model meta as text ('16', '0.7', 'None', '[10, 20]'); `RecsSettings.from_mapping`
turns such a mapping into the package's parameter dataclasses, so every model reads the same knobs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import pandas as pd

from tailor.recommend.collaborative import CFParams
from tailor.recommend.content import ContentParams
from tailor.recommend.hybrid import HybridParams

# Defaults chosen by the grid search in docs/recommendations.md; dbt_project.yml repeats them as vars.
TUNED_CF = CFParams(factors=32, regularization=20.0, iterations=15, alpha=1.0, random_state=42)
TUNED_HYBRID = HybridParams(n=20, cf_weight=0.85, content_weight=0.15, purchase_exclusion_days=365.0)
NULL_TEXT = frozenset({"", "none", "null", "~"})


def _is_null(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip().lower() in NULL_TEXT)


def _number(raw: object, kind: type) -> float | int:
    return int(float(raw)) if kind is int else float(raw)


def _ks(raw: object) -> tuple[int, ...]:
    """Cut-offs from a list, a JSON/Python list text ('[10, 20]') or a comma-separated text ('10,20')."""
    if isinstance(raw, str):
        text = raw.strip().strip("[]()")
        values = [part for part in text.replace(" ", "").split(",") if part]
    else:
        values = list(raw) if isinstance(raw, list | tuple) else [raw]
    ks = sorted({int(float(value)) for value in values})
    if not ks or ks[0] < 1:
        raise ValueError(f"evaluation cut-offs must be positive integers, got {raw!r}")
    return tuple(ks)


@dataclass(frozen=True)
class RecsSettings:
    """Collaborative, content and hybrid parameters plus the similar-items and evaluation knobs."""

    cf: CFParams = TUNED_CF
    content: ContentParams = field(default_factory=ContentParams)
    hybrid: HybridParams = TUNED_HYBRID
    similar_items_k: int = 10
    eval_holdout_days: float = 7.0
    eval_ks: tuple[int, ...] = (5, 10, 20)
    eval_max_persons: int | None = 20_000
    # an evaluation run is kept until its as-of date is this many days old (0: evaluate on every build)
    eval_every_days: float = 0.0
    # blocks of persons scored at once; how fast, not what: not part of the model version
    score_threads: int = 1

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None) -> RecsSettings:
        """Settings from flat keys (a dbt model's meta); a missing or empty value keeps the default.

        Keys: algorithm, factors, regularization, iterations, alpha, confidence, random_state, cf_weight,
        content_weight, top_n, min_cf_items, purchase_exclusion_days ('None': any purchase ever),
        similar_items_k, eval_holdout_days, eval_ks, eval_max_persons ('None': every person), eval_every_days,
        score_threads.
        """
        mapping = mapping or {}
        base = cls()

        def given(key: str) -> bool:
            return key in mapping and not (isinstance(mapping[key], str) and not mapping[key].strip())

        cf_types = {"factors": int, "regularization": float, "iterations": int, "alpha": float, "random_state": int}
        cf = {key: _number(mapping[key], kind) for key, kind in cf_types.items() if given(key)}
        for key in ("algorithm", "confidence"):
            if given(key):
                cf[key] = str(mapping[key]).strip().lower()
        hybrid_types = {"cf_weight": float, "content_weight": float, "min_cf_items": int}
        hybrid: dict[str, Any] = {key: _number(mapping[key], kind) for key, kind in hybrid_types.items() if given(key)}
        if given("top_n"):
            hybrid["n"] = _number(mapping["top_n"], int)
        if "purchase_exclusion_days" in mapping:
            raw = mapping["purchase_exclusion_days"]
            hybrid["purchase_exclusion_days"] = None if _is_null(raw) else float(raw)
        settings = replace(base, cf=replace(base.cf, **cf), hybrid=replace(base.hybrid, **hybrid))
        if given("similar_items_k"):
            settings = replace(settings, similar_items_k=_number(mapping["similar_items_k"], int))
        if given("eval_holdout_days"):
            settings = replace(settings, eval_holdout_days=float(mapping["eval_holdout_days"]))
        if given("eval_ks"):
            settings = replace(settings, eval_ks=_ks(mapping["eval_ks"]))
        if "eval_max_persons" in mapping:
            raw = mapping["eval_max_persons"]
            settings = replace(settings, eval_max_persons=None if _is_null(raw) else _number(raw, int))
        if given("eval_every_days"):
            settings = replace(settings, eval_every_days=float(mapping["eval_every_days"]))
        if given("score_threads"):
            settings = replace(settings, score_threads=max(1, _number(mapping["score_threads"], int)))
        return settings

    def evaluation_run_id(self, as_of: pd.Timestamp) -> str:
        """The id of an evaluation run: the data's as-of date, the model version and the evaluation settings."""
        return (
            f"{as_of:%Y-%m-%d %H:%M:%S.%f}|{self.model_version()}"
            f"|holdout={self.eval_holdout_days:g}d|max_persons={self.eval_max_persons}"
        )

    def evaluation_due(self, stored_run_id: str | None, as_of: pd.Timestamp) -> bool:
        """Whether a build at `as_of` evaluates again or keeps the stored run (`stored_run_id`, None: none).

        Due when nothing is stored, the model or evaluation settings changed, the data's as-of date moved
        back, or the stored run's as-of date is `eval_every_days` or more before `as_of`."""
        if stored_run_id is None or self.eval_every_days <= 0:
            return True
        stored_as_of, _, stored_settings = stored_run_id.partition("|")
        if stored_settings != self.evaluation_run_id(as_of).partition("|")[2]:
            return True
        age_days = (as_of - pd.Timestamp(stored_as_of)) / pd.Timedelta(days=1)
        return bool(age_days < 0 or age_days >= self.eval_every_days)

    def model_version(self) -> str:
        """A short, readable id of the parameters that shaped a model: equal settings, equal version."""
        cf, hybrid = self.cf, self.hybrid
        digest = hashlib.sha256(
            json.dumps([asdict(cf), asdict(self.content), asdict(hybrid)], sort_keys=True, default=str).encode()
        ).hexdigest()[:8]
        return (
            f"{cf.algorithm}-f{cf.factors}-r{cf.regularization:g}-a{cf.alpha:g}-i{cf.iterations}"
            f"-w{hybrid.cf_weight:g}-{digest}"
        )
