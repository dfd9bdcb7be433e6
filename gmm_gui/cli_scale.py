"""``gmm-fit --chunk-rows N`` and ``gmm-fit --dask [ADDRESS]``: the fit of data larger than memory.

The data file is read in chunks (:mod:`gmm_gui.io.chunks`: an ``.npy`` memory-mapped, a numeric
CSV line by line), so the peak memory depends on the chunk size and K, not on the number of
rows. EM is :func:`gmm_gui.model.fit_chunked` (or :func:`gmm_gui.dask_em.fit_dask` on a Dask
cluster), the in-memory fit chunk by chunk; ``--labels`` streams the responsibilities out chunk
by chunk into a temporary file that replaces the target only when complete. Progress (iteration,
log-likelihood, time) goes to stderr, at most about once a second; ``--quiet`` silences it.

The start: ``--init PARAMS.json`` is used as it is; with ``-k`` the initialisation method runs on
an evenly spaced sample of at most :data:`SAMPLE_ROWS` rows (one more pass over the file).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gmm_gui.cli_summary import FitOutcome, fit_info
from gmm_gui.io.atomic import atomic_path, atomic_write
from gmm_gui.io.chunks import CsvChunks, NpyChunks, open_chunks
from gmm_gui.io.mixture_file import check_start_for_data, mixture_to_json, read_mixture
from gmm_gui.io.responsibilities import responsibilities_csv
from gmm_gui.model import Mixture, Prior, draw_start, e_step, fit_chunked, n_parameters
from gmm_gui.model.chunked import ChunkSummary, summarise_chunks

__all__ = ["SAMPLE_ROWS", "ChunkedDataset", "run_chunked"]

#: Rows of the evenly spaced sample a ``-k`` start is built from.
SAMPLE_ROWS = 100_000


@dataclass(frozen=True)
class ChunkedDataset:
    """What the summary says about data read in chunks (the fields of ``io.Dataset`` it uses)."""

    path: str
    columns: tuple[str, ...]
    n_samples: int
    values: np.ndarray  # the evenly spaced sample (the summary's scale of a collapsed variance)
    notes: tuple[str, ...] = ()
    drop_reasons: tuple[str, ...] = ()
    n_dropped: int = 0

    @property
    def n_features(self) -> int:
        """Number of chosen columns."""
        return len(self.columns)

    @property
    def n_rows(self) -> int:
        """Rows read (none is dropped: a chunked read refuses missing values)."""
        return self.n_samples


class _Progress:
    """Lines ``iteration t  log-likelihood L  time s`` on stderr, at most about one a second."""

    def __init__(self, quiet: bool, max_iter: int) -> None:
        self.quiet = quiet
        self.max_iter = max_iter
        self.started = time.perf_counter()
        self.last_shown = -math.inf

    def __call__(self, iteration: int, mixture: Mixture, objective: float) -> None:
        if self.quiet:
            return
        now = time.perf_counter()
        if iteration == 1 or iteration == self.max_iter or now - self.last_shown >= 1.0:
            self.last_shown = now
            print(
                f"gmm-fit: iteration {iteration}  mean log-likelihood {objective:.10g}  "
                f"{now - self.started:.1f} s",
                file=sys.stderr,
                flush=True,
            )


def _sample(reader: Callable, n_samples: int) -> np.ndarray:
    """An evenly spaced sample of at most SAMPLE_ROWS rows (one pass)."""
    step = max(1, math.ceil(n_samples / SAMPLE_ROWS))
    parts, row = [], 0
    for chunk in reader():
        first = (-row) % step
        parts.append(chunk[first::step])
        row += chunk.shape[0]
    return np.concatenate(parts)


def _start(
    args: argparse.Namespace, reader: NpyChunks | CsvChunks, summary: ChunkSummary,
    init_methods: dict[str, str],
) -> tuple[Mixture, str, str, list[str], np.ndarray]:
    """The start mixture, its description, the covariance type, notes and the sample."""
    notes: list[str] = []
    sample = _sample(reader, summary.n_samples)
    if args.init is not None:
        init, info = read_mixture(args.init, n_features=reader.n_features)
        covariance_type = args.covariance_type or info.covariance_type
        if covariance_type != info.covariance_type:
            raise ValueError(
                f"{args.init} holds {info.covariance_type} covariances; --covariance-type "
                f"{covariance_type} would change the start"
            )
        check_start_for_data(init, sample, args.init)
        if tuple(info.columns) != reader.columns:
            notes.append(f"{args.init} was made for columns {', '.join(info.columns)}; "
                         f"fitting {', '.join(reader.columns)}")
        return init, f"the mixture in {args.init}", covariance_type, notes, sample
    covariance_type = args.covariance_type or "full"
    method = args.init_method or "kmeans++"
    init = draw_start(sample, args.k, init_methods[method], seed=args.seed,
                      covariance_type=covariance_type, reg_covar=args.reg_covar)
    where = "all rows" if sample.shape[0] == summary.n_samples else (
        f"an evenly spaced sample of {sample.shape[0]} rows")
    return init, f"{method} (seed {args.seed}) on {where}, 1 run", covariance_type, notes, sample


def run_chunked(args: argparse.Namespace, init_methods: dict[str, str]) -> FitOutcome:
    """Fit ``args.data`` in chunks (or on Dask) and write ``--out`` and ``--labels``.

    Parameters
    ----------
    args : argparse.Namespace
        ``gmm-fit``'s options (``chunk_rows``, ``dask``, ``quiet`` and the common ones).
    init_methods : dict
        The command line's names of initialisation methods to the engine's.

    Returns
    -------
    FitOutcome
        For the summary. Its ``resp`` is never the responsibilities (they are streamed to
        ``--labels``, not held): one row, the soft counts of the final mixture.
    """
    if args.restarts is not None:
        raise ValueError("--restarts is not available with --chunk-rows or --dask (one run)")
    chunk_rows = args.chunk_rows or 1_000_000
    reader = open_chunks(args.data, chunk_rows, args.columns)
    try:
        summary = summarise_chunks(reader())
    except ValueError as exc:
        raise ValueError(f"{args.data}: {str(exc).rstrip('.')}") from None
    init, start, covariance_type, notes, sample = _start(args, reader, summary, init_methods)
    progress = _Progress(args.quiet, args.max_iter)
    prior = None
    if getattr(args, "prior", False):
        prior = _default_prior(reader, summary, init.n_components)
    options = dict(covariance_type=covariance_type, max_iter=args.max_iter, tol=args.tol,
                   reg_covar=args.reg_covar, prior=prior, on_step=progress)
    try:
        if args.dask is not None:
            from gmm_gui.dask_em import fit_dask, npy_array

            address = None if args.dask == "" else args.dask
            if isinstance(reader, NpyChunks) and reader.columns == tuple(
                f"column {j + 1}" for j in range(reader.n_features)
            ):
                data = npy_array(args.data, chunk_rows)
            else:  # a text table: read here, chunk by chunk, then sent to the workers
                data = np.concatenate(list(reader()))
            result = fit_dask(data, init, address=address, chunk_rows=chunk_rows, **options)
        else:
            result = fit_chunked(reader, init, n_samples=summary.n_samples,
                                 n_features=reader.n_features, summary=summary, **options)
    except ValueError as exc:
        raise ValueError(f"{args.data}: {str(exc).rstrip('.')}") from None
    mixture = result.mixture
    n = summary.n_samples
    log_likelihood = result.log_likelihood
    p = n_parameters(mixture.n_components, mixture.n_features, mixture.covariance_type)
    counts = mixture.weights * n
    if result.degenerate_components:  # the summary says how many points each one owns
        counts = sum(e_step(chunk, mixture)[0].sum(axis=0) for chunk in reader())
    outcome = FitOutcome(
        dataset=ChunkedDataset(args.data, reader.columns, n, sample),  # type: ignore[arg-type]
        mixture=mixture,
        n_iter=result.n_iter,
        converged=result.converged,
        history=tuple(result.history),
        warnings=tuple(issue.message for issue in result.issues),
        degenerate_components=tuple(result.degenerate_components),
        resp=np.asarray(counts, dtype=np.float64)[None, :],
        log_likelihood=log_likelihood,
        bic=-2.0 * log_likelihood + p * math.log(n),
        aic=-2.0 * log_likelihood + 2.0 * p,
        start=start + (" (Dask)" if args.dask is not None else f", chunks of {chunk_rows} rows"),
        notes=tuple(notes),
        tol=args.tol,
        max_iter=args.max_iter,
        reg_covar=args.reg_covar,
        prior=prior,
        mean_log_posterior=float(result.mean_log_posterior),
    )
    _write_outputs(args, outcome, reader)
    return outcome


def _default_prior(
    reader: NpyChunks | CsvChunks, summary: ChunkSummary, n_components: int
) -> Prior:
    """mclust's default prior (:meth:`Prior.default`) from one more pass over the chunks: the
    data's mean and covariance, summed about the summary's shift (a point of the data) so
    that values far from 0 lose no digits."""
    n, shift = summary.n_samples, summary.shift
    d = shift.shape[0]
    s1, s2 = np.zeros(d), np.zeros((d, d))
    for chunk in reader():
        y = np.asarray(chunk, dtype=np.float64) - shift
        s1 += y.sum(axis=0)
        s2 += y.T @ y
    if n < 2:
        raise ValueError("the default prior needs at least two points")
    mean = shift + s1 / n
    cov = (s2 - np.outer(s1, s1) / n) / (n - 1)
    return Prior.from_moments(n, mean, cov, n_components)


def _write_outputs(
    args: argparse.Namespace, outcome: FitOutcome, reader: NpyChunks | CsvChunks
) -> None:
    """``--labels`` streamed chunk by chunk into a temporary file, then ``--out``; both or none."""
    out_text = None
    if args.out is not None:
        info = fit_info(outcome, seed=args.seed if args.init is None else None)
        try:
            out_text = mixture_to_json(outcome.mixture, outcome.dataset.columns, info)
        except ValueError as exc:
            raise ValueError(f"{args.out}: cannot be written: {exc}") from None
    if args.labels is None:
        if out_text is not None:
            atomic_write(args.out, out_text)
        return
    with atomic_path(args.labels) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as f:
        row = 0
        for chunk in reader():
            resp, _ = e_step(chunk, outcome.mixture)
            text = responsibilities_csv(resp, np.arange(row, row + chunk.shape[0]))
            f.write(text if row == 0 else text[text.index("\n") + 1 :])
            row += chunk.shape[0]
        f.flush()
        if out_text is not None:  # inside the block: a failure here leaves neither file
            atomic_write(args.out, out_text)
