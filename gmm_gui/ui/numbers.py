"""Numbers written for people: a fixed count of significant digits, thousands separated.

The status line, the plot header and the log-likelihood panel's notes show values from
``-51674994.6627`` to ``0.0000731``; printed raw they are hard to read on a projector and their
width jumps. :func:`format_number` keeps the same number of significant digits whatever the
size: ``-51,674,995``, ``-9.30901``, ``0.0123457``, and switches to a short scientific form
(``7.3100e-5``) only below 0.001 or from a billion up. The sign is an ASCII hyphen, so a value
copied from the screen reads back as a number (after the commas are dropped).
"""

from __future__ import annotations

import math

__all__ = ["format_change", "format_count", "format_number"]

#: Below this magnitude (and from :data:`_HUGE` up) numbers are written with an exponent.
_TINY = 1e-3
_HUGE = 1e9


def _scientific(value: float, digits: int, sign: str) -> str:
    mantissa, exponent = f"{value:{sign}.{max(digits - 1, 0)}e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def format_number(value: float, digits: int = 6, signed: bool = False) -> str:
    """``value`` with ``digits`` significant digits, thousands separated, for reading.

    Parameters
    ----------
    value : float
    digits : int
        Significant digits shown; an integer part with more digits is shown whole
        (``-51674994.66`` with 6 digits is ``-51,674,995``).
    signed : bool
        Write a ``+`` before positive values (a change).

    Returns
    -------
    str
        E.g. ``-9.30901``, ``-51,674,995``, ``+0.00755``, ``7.31e-5``, ``0``; ``nan``,
        ``inf`` and ``-inf`` for values that are not finite.
    """
    value = float(value)
    sign = "+" if signed else "-"
    if not math.isfinite(value):
        return ("+inf" if signed else "inf") if value > 0 else ("nan" if value != value else "-inf")
    if value == 0.0:
        return "+0" if signed else "0"
    digits = max(int(digits), 1)
    magnitude = abs(value)
    if magnitude < _TINY or magnitude >= _HUGE:
        return _scientific(value, digits, sign)
    int_digits = math.floor(math.log10(magnitude)) + 1
    decimals = max(0, digits - int_digits)
    text = f"{value:{sign},.{decimals}f}"
    if float(text.replace(",", "")) == 0.0:  # rounded away (cannot happen above _TINY)
        return _scientific(value, digits, sign)
    return text


def format_change(value: float, digits: int = 3) -> str:
    """A change, signed, with fewer digits: ``+0.00755``, ``-1.20e-7``, ``+12,345``."""
    return format_number(value, digits, signed=True)


def format_count(n: int) -> str:
    """A count with thousands separated: ``1,000,000``."""
    return f"{int(n):,}"
