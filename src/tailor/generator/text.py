"""Vectorized builders of identifiers, timestamps and messy text variants (numpy in, arrow strings out)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tailor.generator.config import DAY_S

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_ALNUM = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8)


def _bytes_to_strings(chars: np.ndarray) -> pa.Array:
    """An (n, width) uint8 array of ASCII codes as an arrow string array (built from buffers, no copy)."""
    n, width = chars.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int64 if (n + 1) * width >= 2**31 else np.int32)
    kind = pa.large_string() if offsets.dtype == np.int64 else pa.string()
    data = pa.py_buffer(np.ascontiguousarray(chars))
    array = pa.Array.from_buffers(kind, n, [None, pa.py_buffer(offsets), data])
    return array if kind == pa.string() else array.cast(pa.string())


_HEX_PAIRS = np.array([[_HEX[i >> 4], _HEX[i & 15]] for i in range(256)], dtype=np.uint8)
_PAIRS = np.array([[48 + i // 10, 48 + i % 10] for i in range(100)], dtype=np.uint8)
_TRIPLES = np.array([[48 + i // 100, 48 + (i // 10) % 10, 48 + i % 10] for i in range(1000)], dtype=np.uint8)


def uuids(rng: np.random.Generator, n: int) -> pa.Array:
    """Random version-4-shaped UUID strings."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    chars = _HEX_PAIRS[raw].reshape(n, 32)
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    out[:, 0:8] = chars[:, 0:8]
    out[:, 9:13] = chars[:, 8:12]
    out[:, 14:18] = chars[:, 12:16]
    out[:, 19:23] = chars[:, 16:20]
    out[:, 24:36] = chars[:, 20:32]
    return _bytes_to_strings(out)


def alnum(rng: np.random.Generator, n: int, width: int, prefix: str = "") -> pa.Array:
    """Random alphanumeric strings (Salesforce-style ids) with a fixed prefix."""
    chars = _ALNUM[rng.integers(0, len(_ALNUM), size=(n, width))]
    body = _bytes_to_strings(chars)
    return pc.binary_join_element_wise(prefix, body, "") if prefix else body


def numbered(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """prefix + zero-padded decimal numbers, e.g. ``U0001234``."""
    digits = pc.utf8_lpad(pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def epoch_s(day: dt.date) -> int:
    """Seconds since the Unix epoch of a UTC midnight."""
    return (day - dt.date(1970, 1, 1)).days * DAY_S


def iso(seconds: np.ndarray) -> pa.Array:
    """Epoch seconds (float) as ISO-8601 UTC strings with milliseconds and 'Z', built byte-wise (fast)."""
    ms = np.round(np.asarray(seconds, dtype=np.float64) * 1000.0).astype(np.int64)
    n = len(ms)
    if n == 0:
        return pa.array([], pa.string())
    days = ms // 86_400_000
    rem = ms - days * 86_400_000
    first = int(days.min())
    span = int(days.max()) - first + 1
    labels = "".join(day_label(first + i) + "T" for i in range(span)).encode()
    out = np.empty((n, 24), dtype=np.uint8)
    out[:, :11] = np.frombuffer(labels, dtype=np.uint8).reshape(span, 11)[days - first]
    secs = rem // 1000
    out[:, 11:13] = _PAIRS[secs // 3600]
    out[:, 13] = ord(":")
    out[:, 14:16] = _PAIRS[(secs // 60) % 60]
    out[:, 16] = ord(":")
    out[:, 17:19] = _PAIRS[secs % 60]
    out[:, 19] = ord(".")
    out[:, 20:23] = _TRIPLES[rem % 1000]
    out[:, 23] = ord("Z")
    return _bytes_to_strings(out)


def iso_date(seconds: np.ndarray) -> pa.Array:
    """Epoch seconds as YYYY-MM-DD strings."""
    days = (np.asarray(seconds, dtype=np.float64) // DAY_S).astype("int64").astype("datetime64[D]")
    return pc.strftime(pa.array(days), format="%Y-%m-%d")


def day_index(seconds: np.ndarray) -> np.ndarray:
    """Epoch seconds -> integer day number since the epoch (the dt partition key)."""
    return (np.asarray(seconds, dtype=np.float64) // DAY_S).astype(np.int64)


def day_label(day_number: int) -> str:
    """Day number since the epoch -> 'YYYY-MM-DD'."""
    return (dt.date(1970, 1, 1) + dt.timedelta(days=int(day_number))).isoformat()


def pick(rng: np.random.Generator, choices: tuple[str, ...] | list[str], n: int,
         p: tuple[float, ...] | np.ndarray | None = None) -> np.ndarray:
    """n random picks of a small vocabulary, returned as a numpy object array of str."""
    vocab = np.array(choices, dtype=object)
    return vocab[rng.choice(len(vocab), size=n, p=p)]


def choose(rng: np.random.Generator, choices: tuple[str, ...] | list[str], n: int,
           p: tuple[float, ...] | np.ndarray | None = None) -> pa.Array:
    """n random picks of a small vocabulary as an arrow string array."""
    return pa.array(list(choices), pa.string()).take(pa.array(rng.choice(len(choices), size=n, p=p)))


def email_variants(rng: np.random.Generator, emails: pa.Array | np.ndarray, share: float) -> pa.Array:
    """The same emails as people type them: a share gets odd case or stray whitespace."""
    emails = pa.array(emails, type=pa.string()) if not isinstance(emails, pa.Array) else emails
    n = len(emails)
    kind = np.where(rng.random(n) < share, rng.integers(1, 5, n), 0)
    upper = pc.utf8_upper(emails)
    capital = pc.utf8_capitalize(emails)
    padded = pc.binary_join_element_wise(" ", emails, " ", "")
    trailing = pc.binary_join_element_wise(capital, "  ", "")
    out = emails
    for code, variant in ((1, upper), (2, capital), (3, padded), (4, trailing)):
        out = pc.if_else(pa.array(kind == code), variant, out)
    return out


def join(*parts: pa.Array | str, sep: str = "") -> pa.Array:
    """Element-wise string concatenation of arrow arrays and scalar strings."""
    return pc.binary_join_element_wise(*parts, sep)


def to_str(values: np.ndarray) -> pa.Array:
    """Numbers as shortest decimal strings."""
    return pc.cast(pa.array(values), pa.string())
