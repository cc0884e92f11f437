"""Sample-data generator with planted truth: a simulated shop whose raw exports land per tailor.landing.

``generate(SCALES["tiny"], "data")`` writes data/landing/tiny/, data/pending/tiny/<dt>/ (held-back days) and
data/truth/tiny/ (what the pipeline should find); ``land_day`` moves the next held-back day into landing."""

from tailor.generator.config import SCALES, ScaleConfig
from tailor.generator.landday import land_day
from tailor.generator.pipeline import generate

__all__ = ["SCALES", "ScaleConfig", "generate", "land_day"]
