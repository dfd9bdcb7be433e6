"""The hover's arithmetic for one point, as the lecture tells it, in legible numbers.

For each Gaussian: its density at the point, the density times its weight, and the posterior
(weighted density over the mixture density), then the mixture density itself: "around 0.01 ...
around 0.00002 ... so the probability that the point belongs to the first is around 1". The
numbers come from the engine (:func:`gmm_gui.model.metrics.point_breakdown`); this module only
writes them down.
"""

from __future__ import annotations

import math

import numpy as np

from gmm_gui.model.metrics import point_breakdown
from gmm_gui.model.mixture import Mixture

__all__ = ["breakdown_html", "format_posterior", "format_sig"]

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def format_sig(value: float, digits: int = 3) -> str:
    """A number in ``digits`` significant digits, with a readable power of ten if it needs one.

    ``0.0123`` stays ``0.0123``; ``2.31e-05`` is written ``2.31 × 10⁻⁵``; ``-51674994.6627`` is
    ``-5.17 × 10⁷``; zero is ``0``.

    Parameters
    ----------
    value : float
    digits : int
        Significant digits (at least 1).

    Returns
    -------
    str
    """
    value = float(value)
    if not math.isfinite(value):
        return {math.inf: "∞", -math.inf: "−∞"}.get(value, "nan")
    if value == 0.0:
        return "0"
    digits = max(1, int(digits))
    exponent = math.floor(math.log10(abs(value)))
    mantissa = round(value / 10.0**exponent, digits - 1)
    if abs(mantissa) >= 10.0:  # 9.996 rounds up to 10.0
        exponent += 1
        mantissa /= 10.0
    if -3 <= exponent < 5:
        decimals = max(0, digits - 1 - exponent)
        text = f"{value:.{decimals}f}"
    else:
        text = f"{mantissa:.{digits - 1}f} × 10{str(exponent).translate(_SUPERSCRIPT)}"
    return text.replace("-", "−", 1) if text.startswith("-") else text


def format_posterior(r: float) -> str:
    """A responsibility: three decimals, or how far it is from 0 or 1 when that is closer.

    ``0.873`` stays ``0.873``; ``0.99998`` is ``1 − 2.00 × 10⁻⁵`` and ``3e-7`` is ``3.00 × 10⁻⁷``,
    so that "almost entirely" shows how close to entirely it is.
    """
    r = float(r)
    if 0.0005 <= r <= 0.9995:
        return f"{r:.3f}"
    if r < 0.5:
        return format_sig(r)
    rest = 1.0 - r
    return "1" if rest <= 0.0 else f"1 − {format_sig(rest)}"


def breakdown_html(
    x: np.ndarray,
    mixture: Mixture,
    colors: list[str],
    after_e_step: bool,
) -> str:
    """The table of the hover: each Gaussian's density, weighted density and posterior at ``x``.

    Parameters
    ----------
    x : array of shape (n_features,)
        The point.
    mixture : Mixture
        The Gaussians drawn.
    colors : list of str
        A ``#rrggbb`` colour per component (its swatch).
    after_e_step : bool
        Whether the points' colours were computed from these Gaussians (an E-step's state); if
        not, the posterior is what the next E-step will give.

    Returns
    -------
    str
        Rich text (a table and a line under it).
    """
    parts = point_breakdown(x, mixture)
    one_d = mixture.n_features == 1
    density = (
        "N(x | μ<sub>k</sub>, σ<sub>k</sub><sup>2</sup>)"
        if one_d
        else ("N(x | μ<sub>k</sub>, Σ<sub>k</sub>)")
    )
    cell = "<td align='right' style='padding-left:10px'>"
    rows = [
        "<table cellspacing='0' cellpadding='1'>",
        f"<tr><th></th>{cell}{density}</td>{cell}π<sub>k</sub> N</td>"
        f"{cell}posterior γ<sub>k</sub></td></tr>",
    ]
    for k in range(mixture.n_components):
        c = colors[k % len(colors)] if colors else "#888888"
        rows.append(
            f"<tr><td><span style='color:{c}'>&#9632;</span> k = {k + 1}</td>"
            f"{cell}{format_sig(parts.density[k])}</td>"
            f"{cell}{format_sig(parts.weighted[k])}</td>"
            f"{cell}{format_posterior(parts.posterior[k])}</td></tr>"
        )
    rows.append("</table>")
    total = format_sig(parts.mixture_density)
    if parts.mixture_density == 0.0:  # underflow: the logarithm is still finite
        total = f"e<sup>{format_sig(parts.log_mixture_density, 4)}</sup>"
    lines = [
        f"mixture density p(x) = Σ<sub>k</sub> π<sub>k</sub> N = {total}",
        "γ<sub>k</sub> = π<sub>k</sub> N / p(x)",
    ]
    if not after_e_step:
        lines.append("<i>(γ: what the next E-step gives these Gaussians)</i>")
    return "".join(rows) + "<br>".join(lines)
