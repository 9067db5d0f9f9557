"""KPI values as short text for the experiments' printed reports."""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["kpi_text", "plain_number"]


def plain_number(value: float, signed: bool = False, digits: int = 3) -> str:
    """A number with about ``digits`` significant digits, never in e-notation.

    Examples
    --------
    >>> plain_number(1983.6), plain_number(2.2841), plain_number(-0.01234, signed=True)
    ('1,984', '2.28', '-0.0123')
    """
    if value != value:  # nan
        return "-"
    sign = "+" if signed else ""
    if value == 0 or math.isinf(value):
        return f"{value:{sign}.0f}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    return f"{value:{sign},.{decimals}f}"


def kpi_text(kpi: str, value: float | None, number: Callable[[float], str] = plain_number) -> str:
    """A KPI value in its unit: shares in %, seconds whole, else ``number(value)``.

    Examples
    --------
    >>> kpi_text("served_share", 0.9512), kpi_text("wait_p95_s", 1429.4), kpi_text("x", 1980.2)
    ('95.1%', '1,429 s', '1,980')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if kpi.endswith("_share"):
        return f"{value:.1%}"
    if kpi.endswith("_s"):
        return f"{value:,.0f} s"
    return number(value)
