"""``gmm-fit``: the headless twin of the app.

Fits a Gaussian mixture to a data file by EM, prints a short summary for a person, and optionally
writes the parameter file (``--out``) and the responsibilities CSV (``--labels``)::

    gmm-fit DATA [--columns A,B] (-k K | --init PARAMS.json)
            [--covariance-type full|diag|spherical|tied]
            [--init-method kmeans++|random|random-from-data|kmeans]
            [--restarts N] [--seed S] [--max-iter N] [--tol T] [--reg-covar R]
            [--prior] [--out PARAMS.json] [--labels RESP.csv]

Any error ends the command with exit status 2 and one line ``gmm-fit: error: ...`` on stderr,
before any output file is created or changed. No Qt is imported.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gmm_gui import __version__
from gmm_gui.io import ColumnChoiceRequired, DataError, atomic_write_many, read_table
from gmm_gui.io.dataset import Dataset
from gmm_gui.io.errors import name_list
from gmm_gui.io.mixture_file import (
    FitInfo,
    MixtureFileInfo,
    check_start_for_data,
    mixture_to_json,
    read_mixture,
)
from gmm_gui.io.responsibilities import responsibilities_csv
from gmm_gui.model import COVARIANCE_TYPES, FitResult, Mixture, Prior, aic, bic, e_step, fit

__all__ = ["main"]

PROG = "gmm-fit"
_INIT_METHODS = {
    "kmeans++": "kmeans++",
    "random": "random",
    "random-from-data": "random_from_data",
    "kmeans": "kmeans",
}
_COVARIANCE_TYPES = COVARIANCE_TYPES


class _UsageError(Exception):
    """A mistake in the command line, reported like any other error."""


class _OptionError(ValueError):
    """Options that parse but do not go together, or outputs that cannot be written."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(message)


def _whole(minimum: int, what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{what} must be a whole number, not {text!r}"
            ) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{what} must be at least {minimum}, not {value}")
        return value

    return parse


#: Largest --reg-covar and --tol accepted: beyond, a covariance's arithmetic overflows (1e308
#: gives NaN log-likelihoods), and no data set has a use for such values.
MAX_SETTING = 1e100


def _non_negative(what: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a number, not {text!r}") from None
        if not (math.isfinite(value) and value >= 0):
            raise argparse.ArgumentTypeError(f"{what} must be a number >= 0, not {text}")
        if value > MAX_SETTING:
            raise argparse.ArgumentTypeError(
                f"{what} must be at most {MAX_SETTING:g}, not {text}"
            )
        return value

    return parse


def _column_list(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected names separated by commas, not {text!r}")
    return names


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``gmm-fit`` (for ``--help`` and for documentation)."""
    parser = _Parser(
        prog=PROG,
        description=(
            "Fit a Gaussian mixture to a data file by Expectation-Maximisation, as the gmm-gui "
            "window does, and print a summary. DATA is a CSV/TSV/whitespace table (R exports "
            "included), a .npy file or an .npz file (its first numeric array)."
        ),
        epilog=(
            "Missing (NA, empty) or infinite values drop their row; the summary says how many. "
            "Exit status: 0 after a fit (converged or not), 2 on any error."
        ),
    )
    parser.add_argument("data", metavar="DATA", help="the data file")
    parser.add_argument(
        "--columns",
        metavar="A,B",
        type=_column_list,
        help="numeric columns to fit, separated by commas (needed when there are more than "
        "two; a file without a header has columns 'column 1', 'column 2', ... or 1, 2, ...)",
    )
    start = parser.add_mutually_exclusive_group(required=True)
    start.add_argument(
        "-k", dest="k", metavar="K", type=_whole(1, "K"), help="number of components"
    )
    start.add_argument(
        "--init",
        metavar="PARAMS.json",
        help="start exactly from this parameter file (as written by --out or the app)",
    )
    parser.add_argument(
        "--covariance-type",
        choices=_COVARIANCE_TYPES,
        help="covariance constraint (default: full, or the type of the --init file)",
    )
    parser.add_argument(
        "--init-method",
        choices=tuple(_INIT_METHODS),
        help="how -k chooses the starting mixture (default: kmeans++)",
    )
    parser.add_argument(
        "--restarts",
        metavar="N",
        type=_whole(1, "--restarts"),
        help="EM runs from different starts with -k; the best is kept (default: 1)",
    )
    parser.add_argument(
        "--seed", metavar="S", type=_whole(0, "--seed"), default=0,
        help="seed of the random start (default: 0, so runs repeat)",
    )
    parser.add_argument(
        "--max-iter", metavar="N", type=_whole(0, "--max-iter"), default=100,
        help="maximum EM iterations per run (default: 100; 0 evaluates the start)",
    )
    parser.add_argument(
        "--tol", metavar="T", type=_non_negative("--tol"), default=1e-3,
        help="stop when the mean log-likelihood per point changes by less (default: 0.001)",
    )
    parser.add_argument(
        "--reg-covar", metavar="R", type=_non_negative("--reg-covar"), default=1e-6,
        help="added to each covariance's diagonal (default: 1e-06; with --prior, to the "
        "start's only)",
    )
    parser.add_argument(
        "--prior", action="store_true",
        help="MAP-EM with R mclust's default conjugate prior (Fraley and Raftery 2007): no "
        "component can collapse onto a point; EM maximises the log-posterior",
    )
    parser.add_argument("--out", metavar="PARAMS.json", help="write the fitted parameters")
    parser.add_argument(
        "--labels", metavar="RESP.csv",
        help="write each point's responsibilities and hard label (CSV)",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Outcome:
    dataset: Dataset
    result: FitResult
    resp: np.ndarray
    log_likelihood: float
    bic: float
    aic: float
    start: str
    notes: tuple[str, ...]
    prior: Prior | None = None


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so that temporary files are removed as on Ctrl-C."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise _Terminated


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """While the block runs, SIGTERM raises :class:`_Terminated` (a KeyboardInterrupt)."""
    if not hasattr(signal, "SIGTERM") or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``gmm-fit`` with ``argv`` (default: the process's arguments); return the exit status.

    Ctrl-C (SIGINT) and SIGTERM stop it the same way: temporary files are removed, no output
    is half-written, and the exit status is 130 or 143.
    """
    with _sigterm_as_interrupt():
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    try:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exc:  # --help and --version
            return int(exc.code or 0)
        outcome = _run(args)
        _write_outputs(args, outcome)
        try:
            print(_summary(args, outcome))
            sys.stdout.flush()
        except BrokenPipeError:  # `gmm-fit ... | head`: the reader left; the work is done
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except _UsageError as exc:
        return _fail(f"{exc} (see {PROG} --help)")
    except (DataError, ValueError, OSError) as exc:
        return _fail(_one_line(exc))
    except _Terminated:
        print(f"{PROG}: terminated", file=sys.stderr)
        return 128 + int(getattr(signal, "SIGTERM", 15))
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one line, as promised; GMM_FIT_DEBUG shows more
        if os.environ.get("GMM_FIT_DEBUG"):
            raise
        return _fail(f"internal error ({type(exc).__name__}: {_one_line(exc)})")


def _fail(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 2


#: Longest error line printed; a longer one keeps its start (the file) and its end.
MAX_ERROR_CHARS = 1000


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename is not None:
        text = f"{exc.filename}: {exc.strerror or exc}"
    else:
        text = str(exc) or type(exc).__name__
    line = " ".join(text.split())
    if len(line) > MAX_ERROR_CHARS:
        half = MAX_ERROR_CHARS // 2 - 3
        line = f"{line[:half]} ... {line[-half:]}"
    return line


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before any work, outputs that cannot or must not be written."""
    targets = [(flag, path) for flag, path in (("--out", args.out), ("--labels", args.labels))
               if path is not None]
    data = Path(os.path.realpath(args.data))
    init = Path(os.path.realpath(args.init)) if args.init is not None else None
    seen: dict[Path, str] = {}
    for flag, path in targets:
        resolved = Path(os.path.realpath(path))
        if resolved == data:
            raise _OptionError(f"{flag} {path} would overwrite the data file")
        if resolved == init:
            raise _OptionError(f"{flag} {path} would overwrite the --init file")
        if resolved in seen:
            raise _OptionError(f"{seen[resolved]} and {flag} name the same file ({path})")
        seen[resolved] = flag
        if resolved.is_dir():
            raise _OptionError(f"{flag} {path} is a folder, not a file")
        if not resolved.parent.is_dir():
            raise _OptionError(f"{flag} {path}: folder {Path(path).parent} does not exist")


def _choose_columns(
    args: argparse.Namespace, start: MixtureFileInfo | None
) -> tuple[Dataset, tuple[str, ...]]:
    table = read_table(args.data)
    notes: list[str] = []
    columns = args.columns
    if start is not None and columns is None and len(table.numeric_columns) > 2:
        # Fit the columns the parameter file was made for, if the data has them all.
        if all(c in table.numeric_columns for c in start.columns):
            columns = list(start.columns)
            notes.append(f"columns {name_list(columns)} chosen as in {start.path}")
    try:
        dataset = table.select(columns)
    except ColumnChoiceRequired as exc:
        raise DataError(
            f"{exc.path}: {len(exc.numeric_columns)} numeric columns "
            f"({name_list(exc.numeric_columns)}); choose one or two with --columns A,B"
        ) from None
    return dataset, tuple(notes)


def _run(args: argparse.Namespace) -> _Outcome:
    if args.init is not None:
        for flag, value in (("--init-method", args.init_method), ("--restarts", args.restarts)):
            if value is not None:
                raise _OptionError(f"{flag} applies to -k; --init starts from the file's mixture")
    _check_outputs(args)
    start_info = read_mixture(args.init)[1] if args.init is not None else None
    dataset, notes = _choose_columns(args, start_info)
    X = dataset.values
    notes_list = list(notes)

    init: Mixture | str
    if args.init is not None:
        init, info = read_mixture(args.init, n_features=dataset.n_features)
        covariance_type = args.covariance_type or info.covariance_type
        if covariance_type != info.covariance_type:
            raise _OptionError(
                f"{args.init} holds {info.covariance_type} covariances; --covariance-type "
                f"{covariance_type} would change the start (leave it out to fit "
                f"{info.covariance_type} covariances)"
            )
        check_start_for_data(init, X, args.init)
        if tuple(info.columns) != dataset.columns:
            notes_list.append(
                f"{args.init} was made for columns {name_list(info.columns)}; "
                f"fitting {name_list(dataset.columns)}"
            )
        n_init = 1
        start = f"the mixture in {args.init}"
        n_components = init.n_components
    else:
        covariance_type = args.covariance_type or "full"
        method = args.init_method or "kmeans++"
        init = _INIT_METHODS[method]
        n_init = args.restarts or 1
        n_components = args.k
        runs = "1 run" if n_init == 1 else f"best of {n_init} runs"
        start = f"{method} (seed {args.seed}), {runs}"

    try:
        prior = Prior.default(X, n_components) if args.prior else None
        result = fit(
            X,
            init,
            n_components=n_components,
            covariance_type=covariance_type,
            max_iter=args.max_iter,
            tol=args.tol,
            reg_covar=args.reg_covar,
            n_init=n_init,
            seed=args.seed,
            prior=prior,
        )
    except ValueError as exc:
        raise ValueError(f"{args.data}: {str(exc).rstrip('.')}") from None
    resp, log_likelihood = e_step(X, result.mixture)
    return _Outcome(
        dataset=dataset,
        result=result,
        resp=resp,
        log_likelihood=log_likelihood,
        bic=bic(X, result.mixture),
        aic=aic(X, result.mixture),
        start=start,
        notes=tuple(notes_list),
        prior=prior,
    )


def _write_outputs(args: argparse.Namespace, outcome: _Outcome) -> None:
    """Write --out and --labels together: each atomically, neither if either cannot be written."""
    files: dict[str, str] = {}
    result = outcome.result
    if args.out is not None:
        fit_info = FitInfo(
            n_points=outcome.dataset.n_samples,
            n_iter=result.n_iter,
            converged=result.converged,
            log_likelihood=outcome.log_likelihood,
            mean_log_likelihood=outcome.log_likelihood / outcome.dataset.n_samples,
            bic=outcome.bic,
            aic=outcome.aic,
            reg_covar=args.reg_covar,
            tol=args.tol,
            seed=args.seed if args.init is None else None,
            max_iter=args.max_iter,
            **_prior_fields(result),
        )
        try:
            files[args.out] = mixture_to_json(result.mixture, outcome.dataset.columns, fit_info)
        except ValueError as exc:
            raise ValueError(f"{args.out}: cannot be written: {exc}") from None
    if args.labels is not None:
        files[args.labels] = responsibilities_csv(outcome.resp, outcome.dataset.row_index)
    if files:
        atomic_write_many(files)


def _prior_fields(result: FitResult) -> dict[str, Any]:
    """FitInfo's fields that differ with a prior: its history is of the log-posterior."""
    if result.prior is None:
        return {"mean_log_likelihood_history": tuple(result.history)}
    return {
        "prior": result.prior,
        "mean_log_posterior": float(result.mean_log_posterior),
        "mean_log_posterior_history": tuple(result.history),
    }


# --------------------------------------------------------------------------------------------
# The summary


def _summary(args: argparse.Namespace, outcome: _Outcome) -> str:
    dataset, result = outcome.dataset, outcome.result
    mixture = result.mixture
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
    iterations = "iteration" if result.n_iter == 1 else "iterations"
    if result.n_iter == 0 and args.max_iter == 0:
        status = "no iteration run (--max-iter 0): the start is evaluated as it is"
    elif result.converged:
        if outcome.prior is None:
            status = f"converged after {result.n_iter} {iterations} (tol {args.tol:g})"
        else:
            status = (
                f"converged after {result.n_iter} {iterations} (the mean log-posterior per "
                f"point changed by less than tol {args.tol:g})"
            )
    elif result.n_iter < args.max_iter:
        status = (
            f"stopped after {result.n_iter} {iterations}: a covariance became singular "
            "(see the warnings); raise --reg-covar or use fewer components"
        )
    else:
        status = (
            f"NOT converged after {result.n_iter} {iterations} (tol {args.tol:g}); "
            "try a larger --max-iter"
        )
    lines.append(f"  EM              {status}")
    if outcome.prior is not None:
        posterior = result.mean_log_posterior
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
    lines.append("")
    lines.extend(_component_table(mixture, dataset.columns))
    messages = [issue.message for issue in result.issues]
    notes = (*dataset.notes, *outcome.notes)
    if messages or notes:
        lines.append("")
    lines.extend(f"warning: {message}" for message in messages)
    lines.extend(f"note: {note}" for note in notes)
    written = [p for p in (args.out, args.labels) if p is not None]
    if written:
        lines.append("")
        lines.append("wrote " + ", ".join(written))
    return "\n".join(lines)


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


if __name__ == "__main__":
    raise SystemExit(main())
