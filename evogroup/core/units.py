"""Reading and writing FLOP counts: ``0.8e8``, ``80M``, ``1.5G``, ``80000000``."""

from __future__ import annotations

import math
import re

_SUFFIX = {"": 1.0, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}
_PATTERN = re.compile(
    r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([kKmMgGtT]?)\s*(?:flops?)?\s*$", re.IGNORECASE
)


def parse_flops(text: str | float | int) -> float:
    """Parse a FLOP count; raise ``ValueError`` naming the value when it is not a positive number.

    >>> parse_flops("80M"), parse_flops("0.8e8"), parse_flops("1.5G")
    (80000000.0, 80000000.0, 1500000000.0)
    """
    if isinstance(text, int | float) and not isinstance(text, bool):
        value = float(text)
    else:
        match = _PATTERN.match(str(text))
        if not match:
            raise ValueError(
                f"a FLOP count is a positive number such as 0.8e8, 80M or 1.5G, but got {text!r}"
            )
        value = float(match.group(1)) * _SUFFIX[match.group(2).lower()]
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"a FLOP count must be positive and finite, but got {text!r}")
    return value


def format_flops(value: float) -> str:
    """Write a FLOP count the way the paper does, as a multiple of 1e8: ``0.80e8``.

    Values below 1e6, which that form would round to ``0.000e8`` or ``0.00xe8`` (small
    layers, costs that are not FLOPs), keep six significant digits instead.

    >>> format_flops(8e7), format_flops(1.5397e8), format_flops(451584.0), format_flops(106.25)
    ('0.800e8', '1.540e8', '451584', '106.25')
    """
    if abs(value) < 1e6:
        return f"{value:.6g}"
    return f"{value / 1e8:.3f}e8"


_TIME_UNITS = {"ms": 1.0, "s": 1e3, "us": 1e-3, "µs": 1e-3}
_TIME = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*(ms|s|us|µs)\s*$", re.IGNORECASE)


def parse_latency(text: str | float | int) -> float:
    """Parse a latency with its unit (``5ms``, ``0.005s``, ``800us``) into milliseconds; raise
    ``ValueError`` naming the value when it is not a positive time with a unit.

    >>> parse_latency("5ms"), parse_latency("0.005s"), parse_latency("800us")
    (5.0, 5.0, 0.8)
    """
    match = _TIME.match(str(text))
    if not match:
        raise ValueError(
            f"a latency is a positive time with its unit, such as 5ms, 0.2s or 800us, but got {text!r}"
        )
    value = float(match.group(1)) * _TIME_UNITS[match.group(2).lower()]
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"a latency must be positive and finite, but got {text!r}")
    return value
