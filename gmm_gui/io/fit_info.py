"""The optional ``"fit"`` block of a parameter file: how the mixture in it was fitted.

:class:`FitInfo` is the block (settings, likelihoods, the prior of a MAP fit); with restarts it
holds a :class:`RestartsInfo`, one :class:`MaximumInfo` per distinct solution the runs reached.
The layout is documented in ``docs/parameter-format.md``; keys added after the first release are
written only when they are set, so older files read as before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from gmm_gui.io._json_checks import Fail, number_array
from gmm_gui.model import Prior, RestartsResult

__all__ = ["FitInfo", "MaximumInfo", "RestartsInfo", "fit_info_from_json"]


@dataclass(frozen=True)
class MaximumInfo:
    """One distinct solution that a set of restarts reached (an entry of ``restarts.maxima``).

    Attributes
    ----------
    mean_log_likelihood : float
        Mean log-likelihood per point, averaged over the runs that reached it.
    runs : int
        How many runs reached it.
    converged : bool
        Its runs converged (False: they stopped at ``max_iter``).
    degenerate : bool
        A component collapsed: a degenerate solution, not a maximum.
    mean_log_posterior : float or None
        With a prior, the mean log-posterior per point averaged over its runs; else None.
    """

    mean_log_likelihood: float
    runs: int
    converged: bool
    degenerate: bool
    mean_log_posterior: float | None = None

    def to_json(self) -> dict[str, Any]:
        """The entry as plain JSON values, in the documented key order."""
        entry: dict[str, Any] = {"mean_log_likelihood": float(self.mean_log_likelihood)}
        if self.mean_log_posterior is not None:
            entry["mean_log_posterior"] = float(self.mean_log_posterior)
        entry["runs"] = int(self.runs)
        entry["converged"] = bool(self.converged)
        entry["degenerate"] = bool(self.degenerate)
        return entry


@dataclass(frozen=True)
class RestartsInfo:
    """The ``"restarts"`` part of the fit block: what many EM runs from random starts found.

    Attributes
    ----------
    n_runs : int
        Number of runs made.
    maxima : tuple of MaximumInfo
        The distinct solutions, best objective first (degenerate ones included and flagged).
    """

    n_runs: int
    maxima: tuple[MaximumInfo, ...]

    @classmethod
    def from_result(cls, restarts: RestartsResult) -> RestartsInfo:
        """Summarise :func:`gmm_gui.model.run_restarts`'s result, one entry per group.

        Parameters
        ----------
        restarts : RestartsResult

        Returns
        -------
        RestartsInfo
            ``maxima`` in the order of ``restarts.groups`` (best first); ``mean_log_posterior``
            set when the runs used a prior.
        """
        by_index = {run.index: run for run in restarts.runs}
        maxima = []
        for group in restarts.groups:
            posterior = None
            if restarts.prior is not None:
                posterior = float(
                    np.mean([by_index[i].mean_log_posterior for i in group.members])
                )
            maxima.append(
                MaximumInfo(
                    mean_log_likelihood=float(group.mean_log_likelihood),
                    runs=group.count,
                    converged=group.converged,
                    degenerate=group.degenerate,
                    mean_log_posterior=posterior,
                )
            )
        return cls(n_runs=len(restarts.runs), maxima=tuple(maxima))

    @property
    def n_degenerate_runs(self) -> int:
        """How many runs ended in a degenerate solution."""
        return sum(m.runs for m in self.maxima if m.degenerate)

    def to_json(self) -> dict[str, Any]:
        """The block as plain JSON values."""
        return {"n_runs": int(self.n_runs), "maxima": [m.to_json() for m in self.maxima]}


@dataclass(frozen=True)
class FitInfo:
    """How a mixture was fitted: the optional ``"fit"`` block of the file.

    Attributes
    ----------
    n_points : int
        Number of data points the mixture was fitted to.
    n_iter : int
        EM iterations run.
    converged : bool
        Whether the change in the objective per point fell below ``tol``.
    log_likelihood : float
        Total log-likelihood of the data.
    mean_log_likelihood : float
        ``log_likelihood / n_points``.
    bic, aic : float
        Bayesian and Akaike information criteria (lower is better), as scikit-learn computes them.
    reg_covar : float
        The value added to each covariance's diagonal (with a prior: to the start's only).
    tol : float
        The convergence threshold.
    seed : int or None
        Seed of the initialisation, if any.
    mean_log_likelihood_history : tuple of float
        Mean log-likelihood per point after each iteration (empty for a MAP fit, whose
        history is ``mean_log_posterior_history``).
    max_iter : int or None
        The most iterations allowed per run; None if not recorded.
    prior : Prior or None
        The prior of a MAP fit (written as ``Prior.as_dict()``); None for maximum likelihood.
    mean_log_posterior : float or None
        With a prior, ``(log L + log p(theta)) / n_points``, the objective EM maximised.
    mean_log_posterior_history : tuple of float
        With a prior, the mean log-posterior per point after each iteration.
    degenerate : bool or None
        Whether a component collapsed (a degenerate solution, not a maximum); None if not
        recorded.
    restarts : RestartsInfo or None
        With restarts, the solutions the runs reached.
    """

    n_points: int
    n_iter: int
    converged: bool
    log_likelihood: float
    mean_log_likelihood: float
    bic: float
    aic: float
    reg_covar: float
    tol: float
    seed: int | None = None
    mean_log_likelihood_history: tuple[float, ...] = ()
    max_iter: int | None = None
    prior: Prior | None = None
    mean_log_posterior: float | None = None
    mean_log_posterior_history: tuple[float, ...] = ()
    degenerate: bool | None = None
    restarts: RestartsInfo | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``"fit"`` block as plain JSON values, in the documented key order.

        Keys that are not set (None, or an empty posterior history) are left out.
        """
        block: dict[str, Any] = {
            "n_points": int(self.n_points),
            "n_iter": int(self.n_iter),
            "converged": bool(self.converged),
        }
        if self.degenerate is not None:
            block["degenerate"] = bool(self.degenerate)
        block["log_likelihood"] = float(self.log_likelihood)
        block["mean_log_likelihood"] = float(self.mean_log_likelihood)
        if self.mean_log_posterior is not None:
            block["mean_log_posterior"] = float(self.mean_log_posterior)
        block["bic"] = float(self.bic)
        block["aic"] = float(self.aic)
        block["reg_covar"] = float(self.reg_covar)
        block["tol"] = float(self.tol)
        if self.max_iter is not None:
            block["max_iter"] = int(self.max_iter)
        block["seed"] = None if self.seed is None else int(self.seed)
        if self.prior is not None:
            block["prior"] = self.prior.as_dict()
        if self.prior is None or self.mean_log_likelihood_history:
            block["mean_log_likelihood_history"] = [
                float(v) for v in self.mean_log_likelihood_history
            ]
        if self.mean_log_posterior_history:
            block["mean_log_posterior_history"] = [
                float(v) for v in self.mean_log_posterior_history
            ]
        if self.restarts is not None:
            block["restarts"] = self.restarts.to_json()
        return block


# --------------------------------------------------------------------------------------------
# Reading


def fit_info_from_json(block: object, fail: Fail, n_features: int) -> FitInfo | None:
    """Validate a ``"fit"`` block read from JSON.

    Parameters
    ----------
    block : object
        The value of the ``"fit"`` key, or None when there is none.
    fail : callable(str) -> Exception
        Builds the exception for a problem (one line naming the file).
    n_features : int
        Dimension of the file's means: a prior for another dimension is refused.

    Returns
    -------
    FitInfo or None
    """
    if block is None:
        return None
    if not isinstance(block, dict):
        raise fail('"fit" must be an object')

    def number(key: str, default: float = math.nan) -> float:
        value = block.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail(f"fit.{key} must be a number")
        return float(value)

    def integer(key: str) -> int:
        value = block.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail(f"fit.{key} must be a whole number")
        return value

    def optional(key: str, read: Any) -> Any:
        return read(key) if block.get(key) is not None else None

    seed = block.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise fail("fit.seed must be a whole number or null")
    return FitInfo(
        n_points=integer("n_points"),
        n_iter=integer("n_iter"),
        converged=_flag(block.get("converged", False), "fit.converged", fail),
        log_likelihood=number("log_likelihood"),
        mean_log_likelihood=number("mean_log_likelihood"),
        bic=number("bic"),
        aic=number("aic"),
        reg_covar=number("reg_covar"),
        tol=number("tol"),
        seed=seed,
        mean_log_likelihood_history=_history(block, "mean_log_likelihood_history", fail),
        max_iter=optional("max_iter", integer),
        prior=_prior(block.get("prior"), fail, n_features),
        mean_log_posterior=optional("mean_log_posterior", number),
        mean_log_posterior_history=_history(block, "mean_log_posterior_history", fail),
        degenerate=(
            None if block.get("degenerate") is None
            else _flag(block["degenerate"], "fit.degenerate", fail)
        ),
        restarts=_restarts(block.get("restarts"), fail),
    )


def _flag(value: object, name: str, fail: Fail) -> bool:
    if not isinstance(value, bool):
        raise fail(f"{name} must be true or false")
    return value


def _history(block: dict[str, Any], key: str, fail: Fail) -> tuple[float, ...]:
    history = block.get(key, [])
    if not isinstance(history, list) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in history
    ):
        raise fail(f"fit.{key} must be a list of numbers")
    return tuple(float(v) for v in history)


def _scalar(value: object, name: str, fail: Fail) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail(f"{name} must be a number")
    return float(value)


def _prior(value: object, fail: Fail, n_features: int) -> Prior | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise fail("fit.prior must be an object with shrinkage, mean, dof and scale")
    for key in ("shrinkage", "mean", "dof", "scale"):
        if key not in value:
            raise fail(f"fit.prior has no {key!r}")
    mean = number_array(value["mean"], "fit.prior.mean", 1, fail)
    scale = number_array(value["scale"], "fit.prior.scale", 2, fail)
    if mean.shape != (n_features,) or scale.shape != (n_features, n_features):
        raise fail(
            f"fit.prior has a mean of {mean.shape[0]} numbers and a scale of shape "
            f"{scale.shape}; the means need {n_features} and ({n_features}, {n_features})"
        )
    try:
        return Prior(
            shrinkage=_scalar(value["shrinkage"], "fit.prior.shrinkage", fail),
            mean=mean,
            dof=_scalar(value["dof"], "fit.prior.dof", fail),
            scale=scale,
        )
    except ValueError as exc:
        raise fail(f"fit.prior: {str(exc).rstrip('.')}") from None


def _restarts(value: object, fail: Fail) -> RestartsInfo | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise fail("fit.restarts must be an object")
    n_runs = value.get("n_runs", 0)
    if isinstance(n_runs, bool) or not isinstance(n_runs, int) or n_runs < 0:
        raise fail("fit.restarts.n_runs must be a whole number >= 0")
    maxima = value.get("maxima", [])
    if not isinstance(maxima, list):
        raise fail("fit.restarts.maxima must be a list")
    entries = []
    for i, entry in enumerate(maxima):
        where = f"fit.restarts.maxima[{i}]"
        if not isinstance(entry, dict):
            raise fail(f"{where} must be an object")
        runs = entry.get("runs")
        if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
            raise fail(f"{where}.runs must be a whole number >= 1")
        posterior = entry.get("mean_log_posterior")
        entries.append(
            MaximumInfo(
                mean_log_likelihood=_scalar(
                    entry.get("mean_log_likelihood"), f"{where}.mean_log_likelihood", fail
                ),
                runs=runs,
                converged=_flag(entry.get("converged"), f"{where}.converged", fail),
                degenerate=_flag(entry.get("degenerate"), f"{where}.degenerate", fail),
                mean_log_posterior=(
                    None if posterior is None
                    else _scalar(posterior, f"{where}.mean_log_posterior", fail)
                ),
            )
        )
    return RestartsInfo(n_runs=n_runs, maxima=tuple(entries))
