"""EM as coordinate ascent (1-D data): the log-likelihood and the E-step's lower bound along one
parameter.

For responsibilities ``q`` (the E-step's, of shape (n_samples, n_components)) and parameters
``theta``, the lower bound is

    B(theta; q) = sum_i sum_k q_ik log(pi_k N(x_i | mu_k, sigma_k)) - sum_i sum_k q_ik log q_ik

and ``B(theta; q) <= L(theta) = sum_i log sum_k pi_k N(x_i | mu_k, sigma_k)`` for every
``theta`` (Jensen), with equality where ``q`` is the posterior of ``theta`` (the E-step makes the
bound tight). The M-step maximises ``B`` over ``theta``. This module traces both along one
parameter of one component, everything else held:

- ``"mean"``: ``mu_k``;
- ``"sd"``: ``sigma_k``;
- ``"weight"``: ``pi_k``, the other weights scaled by ``(1 - pi_k) / (1 - pi_k_now)`` so that
  they still sum to one (needs two components or more).

Every value is per point (divided by ``n_samples``), as the window shows the log-likelihood.
Along each parameter the bound's maximum has a closed form (:func:`bound_peak`): the weighted
mean ``sum_i q_ik x_i / N_k``, the weighted root mean square distance from the held mean, and
``N_k / n`` (``N_k = sum_i q_ik``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import xlogy

from gmm_gui.model._progress import Progress, ShouldCancel, never_cancel, no_progress
from gmm_gui.model.mixture import Mixture

__all__ = [
    "PARAMETERS",
    "AscentCurves",
    "Parameter",
    "ascent_curves",
    "bound_along",
    "bound_peak",
    "log_likelihood_along",
    "parameter_value",
]

Parameter = Literal["mean", "sd", "weight"]
#: The parameters a curve can be traced along.
PARAMETERS: tuple[Parameter, ...] = ("mean", "sd", "weight")

_LOG_2PI = math.log(2.0 * math.pi)
#: Elements of one block of the log-likelihood grid (values x points).
_BLOCK_ELEMENTS = 2_000_000
#: Below this soft count a component owns no point: the bound is flat along its mean and sd.
_EMPTY = 1e-12


@dataclass(frozen=True)
class AscentCurves:
    """The log-likelihood and the bound along one parameter, per point.

    Attributes
    ----------
    component : int
        The component (0-based) whose parameter varies.
    parameter : "mean", "sd" or "weight"
    values : array of shape (n_values,)
        The parameter's values, increasing; they hold :attr:`current` (and :attr:`peak`).
    log_likelihood : array of shape (n_values,)
        ``L / n`` at each value, the other parameters held.
    bound : array of shape (n_values,) or None
        ``B(.; q) / n`` at each value; ``None`` without responsibilities (no E-step yet).
    current : float
        The parameter's value in the mixture.
    current_index : int
        ``values[current_index] == current``.
    peak : float or None
        Where the bound is highest along the parameter (:func:`bound_peak`); ``None`` without a
        bound, or where it has no single maximum (a component that owns no point).
    peak_bound : float or None
        The bound there, per point.
    """

    component: int
    parameter: Parameter
    values: np.ndarray
    log_likelihood: np.ndarray
    bound: np.ndarray | None
    current: float
    current_index: int
    peak: float | None
    peak_bound: float | None

    @property
    def log_likelihood_at_current(self) -> float:
        """``L / n`` at the mixture's own parameters."""
        return float(self.log_likelihood[self.current_index])

    @property
    def bound_at_current(self) -> float | None:
        """``B / n`` at the mixture's own parameters (``None`` without a bound)."""
        return None if self.bound is None else float(self.bound[self.current_index])

    @property
    def gap(self) -> float | None:
        """``(L - B) / n`` at the mixture's own parameters: 0 right after an E-step."""
        bound = self.bound_at_current
        return None if bound is None else self.log_likelihood_at_current - bound


# ------------------------------------------------------------------------------ helpers
def _one_d(X: ArrayLike, mixture: Mixture) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The points, weights, means and sds of 1-D data and its mixture."""
    if mixture.n_features != 1:
        raise ValueError("the coordinate-ascent curves are for 1-D data and mixtures")
    x = np.asarray(X, dtype=np.float64)
    if x.ndim == 2:
        if x.shape[1] != 1:
            raise ValueError(f"X must have one column, got shape {x.shape}")
        x = x[:, 0]
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"X must have shape (n_samples, 1), got {np.shape(X)}")
    weights = np.array(mixture.weights, dtype=np.float64)
    means = np.array(mixture.means[:, 0], dtype=np.float64)
    sds = np.sqrt(np.array(mixture.covariances[:, 0, 0], dtype=np.float64))
    return x, weights, means, sds


def _check(mixture: Mixture, component: int, parameter: str) -> None:
    if parameter not in PARAMETERS:
        raise ValueError(f"parameter must be one of {PARAMETERS}, got {parameter!r}")
    if not 0 <= component < mixture.n_components:
        raise ValueError(
            f"component {component} does not exist (the mixture has {mixture.n_components})"
        )
    if parameter == "weight" and not mixture.weights[component] < 1.0:
        raise ValueError("a Gaussian whose weight is 1 (the only one) cannot vary its weight")


def _check_resp(resp: ArrayLike, n_samples: int, n_components: int) -> np.ndarray:
    q = np.asarray(resp, dtype=np.float64)
    if q.shape != (n_samples, n_components):
        raise ValueError(f"resp must have shape ({n_samples}, {n_components}), got {q.shape}")
    return q


def _log_normal(x: np.ndarray, mean: float | np.ndarray, sd: float | np.ndarray) -> np.ndarray:
    z = (x - mean) / sd
    return -0.5 * _LOG_2PI - np.log(sd) - 0.5 * z * z


def _values(values: ArrayLike, parameter: str) -> np.ndarray:
    v = np.atleast_1d(np.asarray(values, dtype=np.float64))
    if v.ndim != 1:
        raise ValueError(f"values must be one-dimensional, got shape {v.shape}")
    if not np.all(np.isfinite(v)):
        raise ValueError("values must be finite")
    if parameter == "sd" and np.any(v <= 0):
        raise ValueError("a standard deviation must be positive")
    if parameter == "weight" and np.any((v <= 0) | (v >= 1)):
        raise ValueError("a weight must lie strictly between 0 and 1")
    return v


def parameter_value(mixture: Mixture, component: int, parameter: Parameter) -> float:
    """The value of ``parameter`` of ``component`` in a 1-D ``mixture``."""
    _check(mixture, component, parameter)
    if parameter == "mean":
        return float(mixture.means[component, 0])
    if parameter == "sd":
        return float(np.sqrt(mixture.covariances[component, 0, 0]))
    return float(mixture.weights[component])


# ------------------------------------------------------------------------------ the curves
def log_likelihood_along(
    X: ArrayLike,
    mixture: Mixture,
    component: int,
    parameter: Parameter,
    values: ArrayLike,
    *,
    progress: Progress = no_progress,
    should_cancel: ShouldCancel = never_cancel,
) -> np.ndarray:
    """The mean log-likelihood per point with one parameter set to each of ``values``.

    Parameters
    ----------
    X : array-like of shape (n_samples, 1)
    mixture : Mixture
        1-D; every other parameter is held at its value here.
    component : int
        0-based.
    parameter : "mean", "sd" or "weight"
    values : array-like of shape (n_values,)
    progress : callable(done, total), optional
        Called after each block of values.
    should_cancel : callable() -> bool, optional
        Polled between blocks; when it returns True the values not yet reached are NaN.

    Returns
    -------
    array of shape (n_values,)
        ``L / n_samples`` at each value.
    """
    _check(mixture, component, parameter)
    x, weights, means, sds = _one_d(X, mixture)
    v = _values(values, parameter)
    k = component
    log_joint = np.log(weights)[None, :] + _log_normal(x[:, None], means[None, :], sds[None, :])
    others = np.delete(log_joint, k, axis=1)
    if others.shape[1]:
        log_rest = np.logaddexp.reduce(others, axis=1)
    else:
        log_rest = np.full(x.shape, -np.inf)
    out = np.full(v.shape, np.nan)
    block = max(1, _BLOCK_ELEMENTS // x.size)
    total = v.size
    for start in range(0, total, block):
        if should_cancel():
            break
        vb = v[start : start + block, None]
        if parameter == "mean":
            own = np.log(weights[k]) + _log_normal(x[None, :], vb, sds[k])
            rest = log_rest[None, :]
        elif parameter == "sd":
            own = np.log(weights[k]) + _log_normal(x[None, :], means[k], vb)
            rest = log_rest[None, :]
        else:
            own = np.log(vb) + (log_joint[:, k] - np.log(weights[k]))[None, :]
            rest = log_rest[None, :] + np.log((1.0 - vb) / (1.0 - weights[k]))
        out[start : start + block] = np.logaddexp(rest, own).sum(axis=1) / x.size
        progress(min(start + block, total), total)
    return out


@dataclass(frozen=True)
class _BoundTerms:
    """What the bound along one component's parameter depends on (sums over the points)."""

    held: float  # the other components' terms and the entropy, summed
    count: float  # N_k
    others: float  # n - N_k
    centre: float  # the weighted mean of the points (0 if the component owns none)
    scatter: float  # sum_i q_ik (x_i - centre)^2


def _bound_terms(
    x: np.ndarray, weights: np.ndarray, means: np.ndarray, sds: np.ndarray, q: np.ndarray, k: int
) -> _BoundTerms:
    joint = np.log(weights)[None, :] + _log_normal(x[:, None], means[None, :], sds[None, :])
    mask = np.ones(weights.size, dtype=bool)
    mask[k] = False
    # xlogy: 0 log 0 = 0 (a component that owns none of a point adds nothing)
    with np.errstate(invalid="ignore"):  # 0 * log 0 where a weight is zero: dropped below
        products = q[:, mask] * joint[:, mask]
    held = float(np.sum(np.where(q[:, mask] > 0, products, 0.0)))
    held -= float(np.sum(xlogy(q, q)))
    qk = q[:, k]
    count = float(qk.sum())
    centre = float(qk @ x / count) if count > _EMPTY else 0.0
    scatter = float(qk @ (x - centre) ** 2)
    return _BoundTerms(held, count, float(x.size) - count, centre, scatter)


def bound_along(
    X: ArrayLike,
    mixture: Mixture,
    resp: ArrayLike,
    component: int,
    parameter: Parameter,
    values: ArrayLike,
) -> np.ndarray:
    """The E-step's lower bound per point with one parameter set to each of ``values``.

    Parameters
    ----------
    X : array-like of shape (n_samples, 1)
    mixture : Mixture
        1-D; every other parameter is held at its value here.
    resp : array-like of shape (n_samples, n_components)
        The distribution ``q`` of the bound (an E-step's responsibilities).
    component : int
    parameter : "mean", "sd" or "weight"
    values : array-like of shape (n_values,)

    Returns
    -------
    array of shape (n_values,)
        ``B(theta; q) / n_samples`` at each value (:mod:`this module <gmm_gui.model.ascent>`).
    """
    _check(mixture, component, parameter)
    x, weights, means, sds = _one_d(X, mixture)
    q = _check_resp(resp, x.size, weights.size)
    v = _values(values, parameter)
    k = component
    terms = _bound_terms(x, weights, means, sds, q, k)
    log_w, mean, sd = np.log(weights[k]), means[k], sds[k]
    others = 0.0
    if parameter == "mean":
        mean = v
    elif parameter == "sd":
        sd = v
    else:
        log_w = np.log(v)
        others = terms.others * np.log((1.0 - v) / (1.0 - weights[k]))
    squares = terms.scatter + terms.count * (mean - terms.centre) ** 2
    own = terms.count * (log_w - 0.5 * _LOG_2PI - np.log(sd)) - squares / (2.0 * sd * sd)
    bound = terms.held + others + own
    return np.broadcast_to(bound, v.shape) / float(x.size)


def bound_peak(
    X: ArrayLike,
    mixture: Mixture,
    resp: ArrayLike,
    component: int,
    parameter: Parameter,
) -> float | None:
    """Where the bound is highest along one parameter, the others held (closed form).

    Parameters
    ----------
    X : array-like of shape (n_samples, 1)
    mixture : Mixture
    resp : array-like of shape (n_samples, n_components)
    component : int
    parameter : "mean", "sd" or "weight"

    Returns
    -------
    float or None
        ``"mean"``: ``sum_i q_ik x_i / N_k`` (the M-step's mean); ``"sd"``: the square root of
        ``sum_i q_ik (x_i - mu_k)^2 / N_k`` with ``mu_k`` held; ``"weight"``: ``N_k / n``.
        ``None`` where the bound has no single maximum: a component that owns no point (along
        its mean or sd), or one whose points all sit on its mean (along its sd).
    """
    _check(mixture, component, parameter)
    x, weights, means, sds = _one_d(X, mixture)
    q = _check_resp(resp, x.size, weights.size)
    k = component
    terms = _bound_terms(x, weights, means, sds, q, k)
    if parameter == "weight":
        if terms.count <= _EMPTY or terms.others <= _EMPTY:
            return None
        return terms.count / x.size
    if terms.count <= _EMPTY:
        return None
    if parameter == "mean":
        return terms.centre
    squares = terms.scatter + terms.count * (means[k] - terms.centre) ** 2
    if squares <= 0:
        return None
    return math.sqrt(squares / terms.count)


def _grid(
    x: np.ndarray, parameter: str, current: float, peak: float | None, n_values: int
) -> np.ndarray:
    marks = [current] if peak is None else [current, peak]
    if parameter == "mean":
        lo, hi = min(float(x.min()), *marks), max(float(x.max()), *marks)
        pad = 0.05 * (hi - lo) if hi > lo else max(1.0, abs(lo))
        lo, hi = lo - pad, hi + pad
    elif parameter == "sd":
        lo, hi = 0.3 * min(marks), 2.5 * max(marks)
    else:
        lo, hi = min(0.005, 0.5 * min(marks)), max(0.995, 0.5 * (1.0 + max(marks)))
    values = np.linspace(lo, hi, n_values)
    return np.unique(np.concatenate([values, marks]))


def ascent_curves(
    X: ArrayLike,
    mixture: Mixture,
    resp: ArrayLike | None,
    component: int,
    parameter: Parameter,
    *,
    n_values: int = 201,
    progress: Progress = no_progress,
    should_cancel: ShouldCancel = never_cancel,
) -> AscentCurves:
    """The log-likelihood and the bound of ``resp`` along one parameter, over a range that holds
    the data (the mean), the parameter's value and the bound's peak.

    Parameters
    ----------
    X : array-like of shape (n_samples, 1)
    mixture : Mixture
        1-D; every other parameter is held at its value here.
    resp : array-like of shape (n_samples, n_components) or None
        The E-step's responsibilities; ``None``: the log-likelihood only.
    component : int
    parameter : "mean", "sd" or "weight"
    n_values : int, optional
        Values spread evenly over the range (the current value and the peak are added).
    progress, should_cancel : callable, optional
        As in :func:`log_likelihood_along`.

    Returns
    -------
    AscentCurves
    """
    x = _one_d(X, mixture)[0]
    current = parameter_value(mixture, component, parameter)
    peak = None if resp is None else bound_peak(x, mixture, resp, component, parameter)
    values = _grid(x, parameter, current, peak, int(n_values))
    values.setflags(write=False)
    log_likelihood = log_likelihood_along(
        x, mixture, component, parameter, values, progress=progress, should_cancel=should_cancel
    )
    bound = None
    peak_bound = None
    if resp is not None:
        bound = bound_along(x, mixture, resp, component, parameter, values)
        if peak is not None:
            peak_bound = float(bound_along(x, mixture, resp, component, parameter, [peak])[0])
    for array in (log_likelihood, bound):
        if array is not None:
            array.setflags(write=False)
    return AscentCurves(
        component=int(component),
        parameter=parameter,
        values=values,
        log_likelihood=log_likelihood,
        bound=bound,
        current=current,
        current_index=int(np.searchsorted(values, current)),
        peak=peak,
        peak_bound=peak_bound,
    )
