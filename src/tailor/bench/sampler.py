"""Peak memory of a process tree: RSS summed over a process and all its descendants, sampled periodically.

Summing the tree matters because dbt may hand work to child processes; a lone `ru_maxrss` would miss them.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import psutil

GIB = 1024.0**3


@dataclass(frozen=True)
class Sample:
    """One observation: seconds since the start, summed RSS of the tree, its process count, 1-min load."""

    at_s: float
    rss_bytes: int
    n_processes: int
    load_1m: float


@dataclass(frozen=True)
class MemorySummary:
    """Aggregate of a run's samples; zeros when nothing was sampled."""

    peak_rss_bytes: int
    mean_rss_bytes: float
    peak_at_s: float
    max_processes: int
    mean_load_1m: float
    max_load_1m: float
    n_samples: int

    @property
    def peak_rss_gib(self) -> float:
        return self.peak_rss_bytes / GIB


def summarize_samples(samples: Sequence[Sample]) -> MemorySummary:
    """Peak and mean tree RSS, when the peak happened, and the machine load seen while sampling."""
    if not samples:
        return MemorySummary(0, 0.0, 0.0, 0, 0.0, 0.0, 0)
    peak = max(samples, key=lambda sample: sample.rss_bytes)
    return MemorySummary(
        peak_rss_bytes=peak.rss_bytes,
        mean_rss_bytes=sum(sample.rss_bytes for sample in samples) / len(samples),
        peak_at_s=peak.at_s,
        max_processes=max(sample.n_processes for sample in samples),
        mean_load_1m=sum(sample.load_1m for sample in samples) / len(samples),
        max_load_1m=max(sample.load_1m for sample in samples),
        n_samples=len(samples),
    )


def tree_rss(process: psutil.Process) -> tuple[int, int]:
    """(summed RSS in bytes, number of processes) of `process` and its descendants still alive."""
    total, count = 0, 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0, 0
    for member in members:
        try:
            total += member.memory_info().rss
            count += 1
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total, count


class TreeSampler:
    """Samples a process tree on a background thread every `interval_s` until stopped."""

    def __init__(self, pid: int, interval_s: float = 0.2) -> None:
        self._process = psutil.Process(pid)
        self._interval = interval_s
        self._stop = threading.Event()
        self._started = time.perf_counter()
        self.samples: list[Sample] = []
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _take(self) -> None:
        rss, count = tree_rss(self._process)
        if count and rss:  # an exited process not yet reaped reads as zero
            self.samples.append(Sample(time.perf_counter() - self._started, rss, count, os.getloadavg()[0]))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._take()
            self._stop.wait(self._interval)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
