"""The recommender's settings: one class for every entry point (dbt models, the CLI, the tests).

dbt passes the `recommendations` var (dbt_project.yml) whole, as JSON in the models' meta;
`RecsSettings.from_mapping` parses it strictly (an unknown key or a wrong type fails and names the key).
The defaults are those of the parameter classes (CFParams, HybridParams) and of RecsSettings' own fields.
"""

from __future__ import annotations

import hashlib
import json
import typing
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import pandas as pd

from tailor.recommend.collaborative import CFParams
from tailor.recommend.content import ContentParams
from tailor.recommend.hybrid import HybridParams
from tailor.settings import SettingsError, coerce_fields, coerce_value

# keys of the `recommendations` var that set a field of a parameter class: key -> (part, field)
PART_KEYS: dict[str, tuple[str, str]] = {
    "algorithm": ("cf", "algorithm"),
    "factors": ("cf", "factors"),
    "regularization": ("cf", "regularization"),
    "iterations": ("cf", "iterations"),
    "alpha": ("cf", "alpha"),
    "confidence": ("cf", "confidence"),
    "seed": ("cf", "random_state"),
    "fit_engine": ("cf", "fit_engine"),
    "cf_weight": ("hybrid", "cf_weight"),
    "content_weight": ("hybrid", "content_weight"),
    "min_cf_items": ("hybrid", "min_cf_items"),
    "top_n": ("hybrid", "n"),
    "purchase_exclusion_days": ("hybrid", "purchase_exclusion_days"),
}
PART_CLASSES = {"cf": CFParams, "hybrid": HybridParams}
# keys of the `recommendations` var that are RecsSettings' own fields
OWN_KEYS = [
    "similar_items_k",
    "eval_holdout_days",
    "eval_ks",
    "eval_max_persons",
    "eval_every_days",
    "score_threads",
    "quality_gate_ratio",
    "refit_every_days",
]


@dataclass(frozen=True)
class RecsSettings:
    """Collaborative, content and hybrid parameters plus the similar-items and evaluation knobs."""

    cf: CFParams = field(default_factory=CFParams)
    content: ContentParams = field(default_factory=ContentParams)
    hybrid: HybridParams = field(default_factory=HybridParams)
    similar_items_k: int = 10
    eval_holdout_days: float = 7.0
    eval_ks: tuple[int, ...] = (5, 10, 20)
    # persons evaluated at most (a stable sample by id hash; None: all): bounds the evaluation's time at scale
    eval_max_persons: int | None = 20_000
    # an evaluation run is kept until its as-of date is this many days old (0: evaluate on every build)
    eval_every_days: float = 7.0
    # blocks of persons scored at once; how fast, not what: not part of the model version
    score_threads: int = 2
    # the build fails unless hybrid NDCG@10 >= this ratio x global popularity NDCG@10 (a singular test)
    quality_gate_ratio: float = 1.2
    # collaborative factors are refitted every this many days (anchored dates, tailor.recommend.cadence), and
    # between refits only changed persons are folded in and rescored; 1: refit on every build
    refit_every_days: int = 7

    def __post_init__(self) -> None:
        if not self.eval_ks or min(self.eval_ks) < 1:
            raise SettingsError(f"recommendations.eval_ks must be positive integers, got {list(self.eval_ks)}")
        if self.refit_every_days < 1:
            raise SettingsError(f"recommendations.refit_every_days must be at least 1, got {self.refit_every_days}")
        if self.cf.fit_engine == "spark_als" and self.cf.algorithm != "als":
            raise SettingsError(
                f"recommendations.fit_engine spark_als fits ALS only; algorithm {self.cf.algorithm} needs implicit"
            )
        if self.score_threads < 1:
            raise SettingsError(f"recommendations.score_threads must be at least 1, got {self.score_threads}")

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | str | None) -> RecsSettings:
        """Settings from the `recommendations` var (a mapping or its JSON); a missing key keeps the default."""
        if isinstance(mapping, str):
            mapping = json.loads(mapping) if mapping.strip() else {}
        values = dict(mapping or {})
        unknown = sorted(set(values) - set(PART_KEYS) - set(OWN_KEYS))
        if unknown:
            known = ", ".join([*PART_KEYS, *OWN_KEYS])
            raise SettingsError(f"unknown recommendations setting(s): {', '.join(unknown)}; known: {known}")
        base = cls()
        parts: dict[str, dict[str, Any]] = {part: {} for part in PART_CLASSES}
        for key in [key for key in values if key in PART_KEYS]:
            part, name = PART_KEYS[key]
            kind = typing.get_type_hints(PART_CLASSES[part])[name]
            parts[part][name] = coerce_value(kind, values.pop(key), f"recommendations.{key}")
        own = coerce_fields(cls, values, "recommendations", settable=OWN_KEYS)
        built = {part: replace(getattr(base, part), **given) for part, given in parts.items()}
        if "eval_ks" in own:
            own["eval_ks"] = tuple(sorted(set(own["eval_ks"])))
        return replace(base, **built, **own)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """{key: default} of the `recommendations` var, as dbt_project.yml and docs/recommendations.md show it."""
        base = cls()
        values = {key: getattr(getattr(base, part), name) for key, (part, name) in PART_KEYS.items()}
        values |= {key: getattr(base, key) for key in OWN_KEYS}
        return {key: list(value) if isinstance(value, tuple) else value for key, value in values.items()}

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
        # the default fit engine is left out, so versions from before the setting existed stay valid (no refit
        # on upgrade); another engine changes the version
        cf_fields = {
            name: value
            for name, value in asdict(cf).items()
            if not (name == "fit_engine" and value == CFParams.__dataclass_fields__["fit_engine"].default)
        }
        digest = hashlib.sha256(
            json.dumps([cf_fields, asdict(self.content), asdict(hybrid)], sort_keys=True, default=str).encode()
        ).hexdigest()[:8]
        return (
            f"{cf.algorithm}-f{cf.factors}-r{cf.regularization:g}-a{cf.alpha:g}-i{cf.iterations}"
            f"-w{hybrid.cf_weight:g}-{digest}"
        )
