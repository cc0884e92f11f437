"""BLAS at one thread around the recommender's matrix work (`implicit` and small products want it).

`threadpool_limits(1, "blas")` scans every loaded shared library on each call (about 10 ms), which is
nothing for a batch fit but most of an online fold-in request. The controller is built once, on first use
(when numpy, scipy and implicit are loaded), and each block only sets and restores the limit.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from threadpoolctl import ThreadpoolController


@cache
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


def one_blas_thread() -> Any:
    """A context manager limiting every BLAS library to one thread for its block."""
    return _controller().limit(limits=1, user_api="blas")
