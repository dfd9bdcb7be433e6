"""What ``gmm-fit`` prints: the outcome of one command and its summary for a person.

:class:`FitOutcome` gathers what a single fit or a set of restarts produced (for restarts: the
run kept, the best one that is not degenerate); :func:`summary` turns it into the text printed.
No Qt is imported.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gmm_gui.io.dataset import Dataset
from gmm_gui.io.fit_info import FitInfo, RestartsInfo
from gmm_gui.model import Mixture, Prior, RestartsResult
from gmm_gui.model.diagnostics import is_at_floor

__all__ = ["FitOutcome", "fit_info", "summary"]

PROG = "gmm-fit"


@dataclass(frozen=True)
class FitOutcome:
    """What one ``gmm-fit`` command produced.

    Attributes
    ----------
    dataset : Dataset
        The data fitted (``n_samples`` points, ``n_features`` columns).
    mixture : Mixture
        The mixture kept.
    n_iter : int
        EM iterations of the run kept.
    converged : bool
        Whether that run met the stopping rule (else it stopped at ``max_iter`` or broke down).
    history : tuple of float
        The objective per point after each iteration (the log-posterior with a prior).
    warnings : tuple of str
        The engine's warnings for the run kept, in sentences.
    degenerate_components : tuple of int
        Components of ``mixture`` that collapsed, 0-based: a degenerate solution.
    resp : array of shape (n_samples, n_components)
        Responsibilities of ``mixture``.
    log_likelihood, bic, aic : float
        Total log-likelihood of the data under ``mixture``, and the two criteria.
    start : str
        How the run started, in words.
    notes : tuple of str
        Notes for the user (columns chosen, ...).
    tol, max_iter : float, int
        The stopping rule used.
    reg_covar : float
        Added to every covariance's diagonal (with a prior, to the start's only).
    prior : Prior or None
        The prior of a MAP fit.
    mean_log_posterior : float
        With a prior, the objective of ``mixture`` per point; NaN without one.
    restarts : RestartsResult or None
        With ``--restarts``: every run and the solutions they reached.
    kept : int or None
        With restarts, ``index`` of the run kept.
    """

    dataset: Dataset
    mixture: Mixture
    n_iter: int
    converged: bool
    history: tuple[float, ...]
    warnings: tuple[str, ...]
    degenerate_components: tuple[int, ...]
    resp: np.ndarray
    log_likelihood: float
    bic: float
    aic: float
    start: str
    notes: tuple[str, ...]
    tol: float
    max_iter: int
    reg_covar: float
    prior: Prior | None = None
    mean_log_posterior: float = math.nan
    restarts: RestartsResult | None = None
    kept: int | None = None



def fit_info(outcome: FitOutcome, seed: int | None) -> FitInfo:
    """The ``fit`` section of the parameter file that ``gmm-fit --out`` writes for ``outcome``.

    Parameters
    ----------
    outcome : FitOutcome
    seed : int or None
        The start's seed (``None`` for a start read from a file).

    Returns
    -------
    FitInfo
    """
    n = outcome.dataset.n_samples
    if outcome.prior is None:  # the history is of the log-likelihood, else the log-posterior
        history: dict[str, Any] = {"mean_log_likelihood_history": outcome.history}
    else:
        history = {
            "prior": outcome.prior,
            "mean_log_posterior": outcome.mean_log_posterior,
            "mean_log_posterior_history": outcome.history,
        }
    return FitInfo(
        n_points=n,
        n_iter=outcome.n_iter,
        converged=outcome.converged,
        log_likelihood=outcome.log_likelihood,
        mean_log_likelihood=outcome.log_likelihood / n,
        bic=outcome.bic,
        aic=outcome.aic,
        reg_covar=outcome.reg_covar,
        tol=outcome.tol,
        seed=seed,
        max_iter=outcome.max_iter,
        degenerate=bool(outcome.degenerate_components),
        restarts=None if outcome.restarts is None else RestartsInfo.from_result(outcome.restarts),
        **history,
    )

def summary(outcome: FitOutcome, written: Sequence[str] = ()) -> str:
    """The text ``gmm-fit`` prints after a fit.

    Parameters
    ----------
    outcome : FitOutcome
    written : sequence of str
        The files written (``--out``, ``--labels``), named on the last line.

    Returns
    -------
    str
        Lines without a final newline.
    """
    dataset, mixture = outcome.dataset, outcome.mixture
    n = dataset.n_samples
    cols = ", ".join(dataset.columns)
    plural = "column" if dataset.n_features == 1 else "columns"
    lines = [f"{PROG}: {dataset.path}"]
    lines.append(f"  data            {n} points, {dataset.n_features} {plural} ({cols})")
    if dataset.n_dropped:
        lines.append(
            f"  rows dropped    {dataset.n_dropped} of {dataset.n_rows}: "
            + "; ".join(dataset.drop_reasons)
        )
    else:
        lines.append(f"  rows dropped    0 of {dataset.n_rows}")
    lines.append(
        f"  model           K = {mixture.n_components}, {mixture.covariance_type} covariances"
    )
    if outcome.prior is not None:
        lines.append(
            f"  prior           mclust's default (shrinkage {outcome.prior.shrinkage:g}, dof "
            f"{outcome.prior.dof:g}): MAP-EM, the objective is the log-posterior"
        )
    lines.append(f"  start           {outcome.start}")
    lines.append(f"  EM              {_status(outcome)}")
    if outcome.prior is not None:
        posterior = outcome.mean_log_posterior
        lines.append(
            f"  log-posterior   {posterior * n:.6g} (mean per point {posterior:.6g}): "
            "the objective EM maximised"
        )
    lines.append(
        f"  log-likelihood  {outcome.log_likelihood:.6g} "
        f"(mean per point {outcome.log_likelihood / n:.6g})"
    )
    lines.append(f"  BIC             {outcome.bic:.6g}")
    lines.append(f"  AIC             {outcome.aic:.6g}")
    if outcome.restarts is not None:
        lines.extend(_restarts_lines(outcome.restarts, outcome.kept))
    lines.append("")
    lines.extend(_component_table(mixture, dataset.columns))
    notes = (*dataset.notes, *outcome.notes)
    if outcome.warnings or notes:
        lines.append("")
    lines.extend(f"warning: {message}" for message in outcome.warnings)
    lines.extend(f"note: {note}" for note in notes)
    if written:
        lines.append("")
        lines.append("wrote " + ", ".join(written))
    return "\n".join(lines)


def _status(outcome: FitOutcome) -> str:
    """How EM ended, in words: a degenerate end is never called converged."""
    n_iter, tol = outcome.n_iter, outcome.tol
    iterations = "iteration" if n_iter == 1 else "iterations"
    if n_iter == 0 and outcome.max_iter == 0:
        status = "no iteration run (--max-iter 0): the start is evaluated as it is"
        if outcome.degenerate_components:
            status += f"; it is a degenerate mixture ({_collapsed(outcome)})"
        return status
    if not outcome.converged and n_iter < outcome.max_iter:
        return (
            f"stopped after {n_iter} {iterations}: a covariance became singular "
            "(see the warnings); raise --reg-covar or use fewer components"
        )
    if outcome.degenerate_components:
        if outcome.prior is None:
            advice = "use --prior (MAP-EM) or a larger --reg-covar"
        else:
            advice = "try other starts (--seed, --restarts) or fewer components"
        return (
            f"a degenerate solution ({_collapsed(outcome)}), not a maximum: EM stopped after "
            f"{n_iter} {iterations}; {advice}"
        )
    if outcome.converged:
        if outcome.prior is None:
            return f"converged after {n_iter} {iterations} (tol {tol:g})"
        return (
            f"converged after {n_iter} {iterations} (the mean log-posterior per point changed "
            f"by less than tol {tol:g})"
        )
    return (
        f"did not converge within max_iter ({n_iter} {iterations}, tol {tol:g}): not yet a "
        "maximum; try a larger --max-iter"
    )


def _collapsed(outcome: FitOutcome) -> str:
    """Which components collapsed and how: a variance at the floor, too few points, or both."""
    counts = outcome.resp.sum(axis=0)
    needed = outcome.dataset.n_features + 1
    floor = 0.0 if outcome.prior is not None else outcome.reg_covar
    data_var = float(np.mean(np.var(outcome.dataset.values, axis=0)))
    flat = is_at_floor(outcome.mixture, floor, data_var).any(axis=1)
    parts = []
    for k in outcome.degenerate_components:
        why = []
        if flat[k]:
            why.append("its variance is at the reg_covar floor")
        if counts[k] < needed:
            points = "point" if round(float(counts[k]), 3) == 1 else "points"
            why.append(f"it owns {counts[k]:.3g} {points}, fewer than {needed}")
        # too few points alone is not a collapse (with the prior, the prior sets its spread)
        state = "collapsed" if flat[k] else "is degenerate"
        parts.append(f"component {k + 1} {state}: {' and '.join(why)}")
    return "; ".join(parts)


def _restarts_lines(restarts: RestartsResult, kept: int | None) -> list[str]:
    """The solutions the runs reached, one line each, best first, and the runs set aside."""
    n_runs = len(restarts.runs)
    n_groups = len(restarts.groups)
    solutions = "solution" if n_groups == 1 else "distinct solutions"
    lines = [
        f"  restarts        {n_runs} runs (to tol {restarts.tol:g} or {restarts.max_iter} "
        f"iterations) reached {n_groups} {solutions}, best first:"
    ]
    with_prior = restarts.prior is not None
    header = [
        "rank", "log-lik per point", *(["log-post per point"] if with_prior else []), "runs",
        "end",
    ]
    by_index = {run.index: run for run in restarts.runs}
    kept_group = restarts.group_of(kept) if kept is not None else None
    rows = []
    for rank, group in enumerate(restarts.groups, start=1):
        members = [by_index[i] for i in group.members]
        end = "converged" if group.converged else "stopped at max_iter"
        if group.degenerate:
            end += ", degenerate (a component collapsed): set aside"
        if rank - 1 == kept_group:
            end += "  <- kept"
        posterior = float(np.mean([r.mean_log_posterior for r in members]))
        rows.append([
            str(rank),
            f"{group.mean_log_likelihood:.6g}",
            *([f"{posterior:.6g}"] if with_prior else []),
            str(group.count),
            end,
        ])
    widths = [max(len(header[j]), *(len(r[j]) for r in rows)) for j in range(len(header) - 1)]
    for row in (header, *rows):
        cells = [cell.rjust(width) for cell, width in zip(row[:-1], widths, strict=True)]
        lines.append("                  " + "  ".join([*cells, row[-1]]).rstrip())
    n_degenerate = restarts.n_degenerate_set_aside
    runs = "run" if n_degenerate == 1 else "runs"
    lines.append(
        f"  set aside       {n_degenerate} degenerate {runs} (not maxima); the mixture kept is "
        "the best run that is not degenerate"
    )
    return lines


def _component_table(mixture: Mixture, columns: Sequence[str]) -> list[str]:
    sd = np.sqrt(np.diagonal(mixture.covariances, axis1=1, axis2=2))
    header = ["component", "weight", *(f"mean {c}" for c in columns), *(f"sd {c}" for c in columns)]
    rows = [
        [
            str(k + 1),
            f"{mixture.weights[k]:.4f}",
            *(f"{v:.5g}" for v in mixture.means[k]),
            *(f"{v:.5g}" for v in sd[k]),
        ]
        for k in range(mixture.n_components)
    ]
    widths = [max(len(header[j]), *(len(r[j]) for r in rows)) for j in range(len(header))]
    return [
        "  " + "  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True))
        for row in (header, *rows)
    ]
