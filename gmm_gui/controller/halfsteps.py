"""The computing of EM half-steps on one data set (pure, no Qt).

:class:`HalfSteps` holds the data (prepared once for the engine) and the model settings, and
turns one :class:`~gmm_gui.controller.snapshot.Snapshot` into the next: after the start or an
M-step an E-step, after an E-step an M-step. It changes nothing but a one-slot cache of the
newest E-step, so a worker thread may call it while the UI thread draws.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from gmm_gui.controller.snapshot import Snapshot
from gmm_gui.io.fit_info import FitInfo
from gmm_gui.model import (
    DegenerateMixtureError,
    Mixture,
    Prior,
    aic,
    bic,
    degenerate_components,
    diagnose_counts,
    draw_start,
    e_step,
    is_last_iteration,
    log_prior_density,
    m_step,
    prepare_data,
    spread_covariance,
    widen_collapsed,
)
from gmm_gui.model.init import VISIBLE_SPREAD_FRACTION

__all__ = ["DEFAULT_SPREAD_FRACTION", "CancelCallback", "HalfSteps", "ProgressCallback"]

ProgressCallback = Callable[[int, Snapshot], None]
CancelCallback = Callable[[], bool]

#: A new Gaussian placed by a click starts with this fraction of the data's standard deviation
#: (the engine's, so that a clicked Gaussian and a widened start look alike).
DEFAULT_SPREAD_FRACTION = VISIBLE_SPREAD_FRACTION


class HalfSteps:
    """E- and M-steps of one data set with fixed settings.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
        The data; copied and made read-only.
    covariance_type, reg_covar, tol, max_iter, prior
        See :class:`~gmm_gui.controller.stepper.Stepper`. With ``prior`` the M-step is MAP
        (``Prior.default(X, K)``) and a snapshot's ``mean_log_likelihood`` and ``history`` hold
        the objective, the mean log-posterior per point.

    Raises
    ------
    ValueError
        For data of another shape, or holding missing or infinite values.
    """

    def __init__(
        self,
        X: np.ndarray,
        *,
        covariance_type: str = "full",
        reg_covar: float = 1e-6,
        tol: float = 1e-3,
        max_iter: int = 100,
        prior: bool = False,
    ) -> None:
        X = np.array(X, dtype=float, copy=True)
        if X.ndim == 1:
            X = X[:, None]
        if X.ndim != 2 or X.shape[0] == 0:
            raise ValueError(f"X must have shape (n_samples, n_features), got {X.shape}")
        if not np.all(np.isfinite(X)):
            raise ValueError("X holds missing or infinite values")
        X.setflags(write=False)
        self.X = X
        # Centred, transposed and with its monomials once, so that no step re-checks or
        # re-arranges the data (a fifth of a half-step's time at a million points).
        self.data = prepare_data(X)
        self._cache: tuple[Mixture, np.ndarray, float] | None = None
        self.covariance_type = covariance_type
        self.reg_covar = float(reg_covar)
        self.tol = float(tol)
        self.max_iter = int(max_iter)
        self.prior = bool(prior)
        self._priors: dict[int, Prior] = {}

    @property
    def n_samples(self) -> int:
        """Number of data points."""
        return int(self.X.shape[0])

    def with_settings(
        self,
        *,
        covariance_type: str,
        reg_covar: float,
        tol: float,
        max_iter: int,
        prior: bool = False,
    ) -> HalfSteps:
        """The same data (shared, not prepared again) with other settings."""
        other = copy.copy(self)
        other._cache = None
        other.covariance_type = covariance_type
        other.reg_covar = float(reg_covar)
        other.tol = float(tol)
        other.max_iter = int(max_iter)
        other.prior = bool(prior)
        return other

    def with_rule(self, tol: float | None = None, max_iter: int | None = None) -> HalfSteps:
        """These half-steps, or the same with another stopping rule (``None``: keep)."""
        if (tol is None or float(tol) == self.tol) and (
            max_iter is None or int(max_iter) == self.max_iter
        ):
            return self
        return self.with_settings(
            covariance_type=self.covariance_type,
            reg_covar=self.reg_covar,
            tol=self.tol if tol is None else float(tol),
            max_iter=self.max_iter if max_iter is None else int(max_iter),
            prior=self.prior,
        )

    def prior_for(self, n_components: int) -> Prior | None:
        """mclust's default prior for K = ``n_components`` on this data, or None without one."""
        if not self.prior:
            return None
        k = int(n_components)
        if k not in self._priors:  # a shared dict: the same data gives the same prior
            self._priors[k] = Prior.default(self.X, k)
        return self._priors[k]

    def objective(self, mixture: Mixture, mean_ll: float) -> float:
        """What EM climbs, per point: ``mean_ll`` without the prior, else the mean
        log-posterior ``mean_ll + log_prior_density(mixture, prior) / n``."""
        prior = self.prior_for(mixture.n_components)
        if prior is None:
            return float(mean_ll)
        return float(mean_ll) + log_prior_density(mixture, prior) / self.n_samples

    def mean_e_step(self, mixture: Mixture) -> tuple[np.ndarray, float]:
        """Responsibilities (read-only, shape (n_samples, n_components)) and the mean
        log-likelihood per point of ``mixture``; the newest is cached."""
        cached = self._cache
        if cached is not None and cached[0] is mixture:
            return cached[1], cached[2]
        resp, log_likelihood = e_step(self.data, mixture)
        mean_ll = float(log_likelihood) / self.n_samples
        resp.setflags(write=False)
        # One slot: the E-step of the newest mixture, computed with its log-likelihood after an
        # M-step, is reused by the next E-step instead of being computed twice.
        self._cache = (mixture, resp, mean_ll)
        return resp, mean_ll

    def recompute_resp(self, mixture: Mixture) -> np.ndarray:
        """Responsibilities of a past state let go by the history: one E-step, read-only."""
        resp, _ = e_step(self.data, mixture)
        resp.setflags(write=False)
        return resp

    def start_snapshot(self, mixture: Mixture | None) -> Snapshot:
        """The start state of ``mixture`` (its log-likelihood computed)."""
        mean_ll = None
        if mixture is not None:
            mean_ll = self.objective(mixture, self.mean_e_step(mixture)[1])
        return Snapshot(
            X=self.X,
            mixture=mixture,
            resp=None,
            phase="start",
            iteration=0,
            mean_log_likelihood=mean_ll,
            history=(),
            converged=False,
            warnings=(),
            editable=True,
            log_posterior=self.prior,
            tol=self.tol,
            max_iter=self.max_iter,
        )

    def fit_info(self, snap: Snapshot, seed: int | None) -> FitInfo:
        """What to write in a parameter file's ``"fit"`` block for ``snap`` (``seed``: the
        start's)."""
        if snap.mixture is None:
            raise ValueError("there are no Gaussians yet")
        _, mean_ll = self.mean_e_step(snap.mixture)
        # With the prior, the history is the log-posterior EM climbed, written under its name.
        prior = self.prior_for(snap.mixture.n_components)
        history = tuple(snap.history)
        return FitInfo(
            n_points=self.n_samples,
            n_iter=snap.iteration,
            converged=snap.converged,
            log_likelihood=mean_ll * self.n_samples,
            mean_log_likelihood=mean_ll,
            bic=float(bic(self.X, snap.mixture)),
            aic=float(aic(self.X, snap.mixture)),
            reg_covar=self.reg_covar,
            tol=self.tol if snap.tol is None else snap.tol,  # a run's own rule (Restarts)
            seed=seed,
            mean_log_likelihood_history=() if prior is not None else history,
            max_iter=self.max_iter if snap.max_iter is None else snap.max_iter,
            prior=prior,
            mean_log_posterior=None if prior is None else self.objective(snap.mixture, mean_ll),
            mean_log_posterior_history=history if prior is not None else (),
            degenerate=bool(snap.degenerate) if snap.phase == "M" else None,
        )

    def _warnings(self, nk: np.ndarray, mixture: Mixture, iteration: int) -> tuple[str, ...]:
        issues = diagnose_counts(nk, self.data.data_var, mixture, self.reg_covar, iteration)
        return tuple(str(issue.message) for issue in issues)

    def next(self, snap: Snapshot, start_ll: float | None) -> Snapshot:
        """The state one half-step after ``snap``; ``start_ll`` is the start's mean
        log-likelihood (the stopping rule compares with it)."""
        if snap.mixture is None:
            raise ValueError("place at least one Gaussian before running EM")
        if snap.phase in ("start", "M"):
            resp, mean_ll = self.mean_e_step(snap.mixture)
            return replace(
                snap,
                resp=resp,
                phase="E",
                mean_log_likelihood=self.objective(snap.mixture, mean_ll),
                editable=False,
                tol=self.tol,
                max_iter=self.max_iter,
            )
        resp = snap.resp
        if resp is None:  # a past state whose responsibilities were let go
            resp = self.mean_e_step(snap.mixture)[0]
        try:
            mixture = m_step(
                self.data,
                resp,
                self.covariance_type,
                self.reg_covar,
                prior=self.prior_for(resp.shape[1]),
            )
        except (DegenerateMixtureError, ValueError, np.linalg.LinAlgError) as exc:
            # Only possible with reg_covar = 0 (or data so large that it is lost in round-off).
            detail = str(exc).strip() or "a covariance is no longer positive definite"
            raise ValueError(
                f"The M-step of iteration {snap.iteration + 1} cannot go on: {detail}"
            ) from exc
        mean_ll = self.objective(mixture, self.mean_e_step(mixture)[1])
        iteration = snap.iteration + 1
        # The engine's (scikit-learn's) stopping rule, written once in the engine: iteration t
        # is the last one when |L_{t-1} - L_{t-2}| < tol (L_0 the start's, L_{-1} = -inf).
        lls = [np.nan if start_ll is None else start_ll, *snap.history]
        converged = is_last_iteration(lls[:iteration], self.tol)
        nk = np.asarray(resp).sum(axis=0)  # once, for the warnings and the collapse test
        return replace(
            snap,
            mixture=mixture,
            phase="M",
            iteration=iteration,
            mean_log_likelihood=mean_ll,
            history=(*snap.history, mean_ll),
            converged=converged,
            warnings=self._warnings(nk, mixture, iteration),
            editable=False,
            degenerate=degenerate_components(
                mixture,
                nk,
                0.0 if self.prior else self.reg_covar,
                self.data.data_var,
            ),
            tol=self.tol,
            max_iter=self.max_iter,
        )

    def run(
        self,
        snap: Snapshot,
        start_ll: float | None,
        max_half_steps: int | None = None,
        *,
        progress: ProgressCallback | None = None,
        should_cancel: CancelCallback | None = None,
        step: Callable[[Snapshot], Snapshot] | None = None,
    ) -> list[Snapshot]:
        """Half-steps from ``snap`` until this stopping rule ends the run (pure).

        Parameters
        ----------
        snap : Snapshot
            The state to go on from.
        start_ll : float or None
            The start's objective (the stopping rule compares with it).
        max_half_steps : int, optional
            Stop after this many half-steps; default: until ``max_iter`` iterations in all.
        progress : callable(iteration, snapshot), optional
            Called after every M-step.
        should_cancel : callable() -> bool, optional
            Polled before every half-step; the states computed so far are returned.
        step : callable(snapshot) -> snapshot, optional
            Computes one half-step; default :meth:`next` with ``start_ll``.

        Returns
        -------
        list of Snapshot
            The new states, oldest first (empty if nothing was left to do).
        """
        if step is None:
            step = lambda state: self.next(state, start_ll)  # noqa: E731
        out: list[Snapshot] = []
        limit = 2 * self.max_iter if max_half_steps is None else int(max_half_steps)
        current = snap
        while len(out) < limit:
            if current.mixture is None or (current.converged and current.phase == "M"):
                break
            if current.phase == "M" and current.iteration >= self.max_iter:
                break
            if should_cancel is not None and should_cancel():
                break
            try:
                current = step(current)
            except ValueError as exc:
                if not out:
                    raise
                # The engine could not go on (a degenerate covariance): stop, and say why.
                out[-1] = replace(out[-1], warnings=(*out[-1].warnings, str(exc)))
                break
            out.append(current)
            if progress is not None and current.phase == "M":
                progress(current.iteration, current)
        return out

    def draw_start(self, n_components: int, method: str, seed: int | None) -> Mixture:
        """The engine's one start (:func:`gmm_gui.model.draw_start`) for these settings: the
        same kind and seed give the same start as Restarts and ``gmm-fit --seed``."""
        return draw_start(
            self.data,
            int(n_components),
            method,
            seed=seed,
            covariance_type=self.covariance_type,
            reg_covar=self.reg_covar,
        )

    def visible(self, mixture: Mixture) -> Mixture:
        """``mixture`` with every Gaussian that sits on a single point given a visible spread
        (:func:`gmm_gui.model.widen_collapsed`, the rule :meth:`draw_start` applies)."""
        return widen_collapsed(mixture, self.data, self.reg_covar)

    def default_covariance(self, fraction: float = DEFAULT_SPREAD_FRACTION) -> np.ndarray:
        """Covariance of a newly placed Gaussian: ``fraction`` of the data's spread per axis.

        Returns
        -------
        covariance : array of shape (n_features, n_features)
        """
        return spread_covariance(self.data, fraction)
