"""Renders the report in headless Chromium and says which charts drew: the check that the page works in a
real browser, offline, with its inlined JavaScript (used by the tests and `tailor report --check`)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
SECTION = re.compile(r'<section id="(?P<id>[^"]+)" data-chart="(?P<chart>yes|no)">(?P<body>.*?)</section>', re.S)
DRAWN = re.compile(r'<svg[^>]*class="main-svg"[^>]*>.*?<g class="(?:barlayer|scatterlayer|heatmaplayer|imagelayer|'
                   r'plot)', re.S)


def chromium() -> str | None:
    """The headless browser on PATH (Debian's `chromium`, installed by scripts/bootstrap.sh), or None."""
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


def browser_args(extra: list[str]) -> list[str]:
    binary = chromium()
    if binary is None:
        raise FileNotFoundError("no chromium on PATH: run scripts/bootstrap.sh (installs Debian's chromium)")
    # --no-sandbox: containers and CI run as root; --virtual-time-budget lets the page's scripts finish.
    return [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--virtual-time-budget=30000", "--window-size=1300,900", *extra]


def rendered_dom(page: Path, timeout_s: int = 120) -> str:
    """The page's DOM after its scripts ran."""
    done = subprocess.run(browser_args(["--dump-dom", page.resolve().as_uri()]), capture_output=True, text=True,
                          timeout=timeout_s, check=True)
    return done.stdout


def chart_status(dom: str) -> dict[str, str]:
    """Section id -> 'drawn', 'not drawn' (a chart was expected, the browser drew nothing) or 'no data'."""
    status = {}
    for match in SECTION.finditer(dom):
        if match["chart"] == "no":
            status[match["id"]] = "no data"
        else:
            status[match["id"]] = "drawn" if DRAWN.search(match["body"]) else "not drawn"
    return status


def screenshot(page: Path, out: Path, width: int = 1300, height: int = 4200, timeout_s: int = 120) -> Path:
    """A PNG of the rendered page (for the docs)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(browser_args([f"--window-size={width},{height}", "--hide-scrollbars",
                                 f"--screenshot={out.resolve()}", page.resolve().as_uri()]),
                   capture_output=True, timeout=timeout_s, check=True)
    return out
