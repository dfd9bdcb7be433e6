"""``gmm-fit``: the headless twin of the app.

Fits a Gaussian mixture to a data file by EM, prints a short summary for a person, and optionally
writes the parameter file (``--out``) and the responsibilities CSV (``--labels``)::

    gmm-fit DATA [--columns A,B] (-k K | --init PARAMS.json)
            [--covariance-type full|diag|spherical|tied]
            [--init-method kmeans++|random|random-from-data|kmeans]
            [--restarts N] [--seed S] [--max-iter N] [--tol T] [--reg-covar R]
            [--prior] [--out PARAMS.json] [--labels RESP.csv]
            [--chunk-rows N] [--dask [ADDRESS]] [--quiet]

Any error ends the command with exit status 2 and one line ``gmm-fit: error: ...`` on stderr,
before any output file is created or changed; so do restarts whose every run ends degenerate
(there is no maximum to keep). With ``--restarts`` each run climbs to convergence
(``RUN_TOL``/``RUN_MAX_ITER`` unless ``--tol``/``--max-iter`` are given), the best run that is
not degenerate is kept, and the distinct solutions are listed and written to ``--out``. The
summary is made in :mod:`gmm_gui.cli_summary`. No Qt is imported.
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
from pathlib import Path

import numpy as np

from gmm_gui import __version__
from gmm_gui.cli_summary import PROG, FitOutcome, fit_info, summary
from gmm_gui.io import ColumnChoiceRequired, DataError, atomic_write_many, read_table
from gmm_gui.io.dataset import Dataset
from gmm_gui.io.errors import name_list
from gmm_gui.io.mixture_file import (
    MixtureFileInfo,
    check_start_for_data,
    mixture_to_json,
    read_mixture,
)
from gmm_gui.io.responsibilities import responsibilities_csv
from gmm_gui.model import (
    COVARIANCE_TYPES,
    RUN_MAX_ITER,
    RUN_TOL,
    Mixture,
    Prior,
    RestartsResult,
    aic,
    bic,
    draw_start,
    e_step,
    fit,
    run_restarts,
)

__all__ = ["main"]

#: A single fit's stopping rule (the window's animation uses the same); restarts use
#: RUN_TOL / RUN_MAX_ITER instead unless --tol / --max-iter are given.
DEFAULT_TOL = 1e-3
DEFAULT_MAX_ITER = 100
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
            raise argparse.ArgumentTypeError(f"{what} must be a finite number >= 0, not {text}")
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
            "The summary never calls a degenerate solution (a component collapsed) or a run "
            "stopped by --max-iter a maximum. Exit status: 0 after a fit (converged or not), 2 "
            "on any error, and when every run of --restarts is degenerate (nothing is written)."
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
        help="EM runs from different starts with -k; the best that is not degenerate is "
        "kept, and the distinct solutions are listed and written to --out (default: 1 run)",
    )
    parser.add_argument(
        "--seed", metavar="S", type=_whole(0, "--seed"), default=0,
        help="seed of the random start (default: 0, so runs repeat)",
    )
    parser.add_argument(
        "--max-iter", metavar="N", type=_whole(0, "--max-iter"),
        help=f"maximum EM iterations per run (default: {DEFAULT_MAX_ITER}, with --restarts "
        f"{RUN_MAX_ITER}; 0 evaluates the start)",
    )
    parser.add_argument(
        "--tol", metavar="T", type=_non_negative("--tol"),
        help="stop when the mean log-likelihood (log-posterior with --prior) per point changes "
        f"by less (default: {DEFAULT_TOL:g}, with --restarts {RUN_TOL:g}: each run climbs "
        "until it has converged before the solutions are compared)",
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
    scale = parser.add_argument_group("data larger than memory")
    scale.add_argument(
        "--chunk-rows", metavar="N", type=_whole(1, "--chunk-rows"),
        help="read the data N rows at a time (.npy memory-mapped, a numeric CSV line by line) "
        "and fit them chunk by chunk: the same fit, with memory set by N and K, not the rows",
    )
    scale.add_argument(
        "--dask", metavar="ADDRESS", nargs="?", const="", default=None,
        help="run the chunked fit on Dask: a local cluster, or the scheduler at ADDRESS "
        "(tcp://host:8786); needs pip install 'gmm-gui[dask]'",
    )
    scale.add_argument(
        "--quiet", action="store_true",
        help="no progress lines on stderr during a --chunk-rows or --dask fit",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


# --------------------------------------------------------------------------------------------


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
        if args.chunk_rows is not None or args.dask is not None:
            outcome = _run_chunked(args)  # writes its outputs as it goes (streamed labels)
        else:
            outcome = _run(args)
            _write_outputs(args, outcome)
        written = [p for p in (args.out, args.labels) if p is not None]
        try:
            print(summary(outcome, written))
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


def _run_chunked(args: argparse.Namespace) -> FitOutcome:
    if args.init is not None:
        for flag, value in (("--init-method", args.init_method), ("--restarts", args.restarts)):
            if value is not None:
                raise _OptionError(f"{flag} applies to -k; --init starts from the file's mixture")
    _check_outputs(args)
    if args.dask is not None:
        from gmm_gui.dask_em import require_dask

        try:
            require_dask()
        except ImportError as exc:
            raise _OptionError(str(exc)) from None
    from gmm_gui.cli_scale import run_chunked

    # one run (no restarts): the single fit's stopping rule
    args.tol = args.tol if args.tol is not None else DEFAULT_TOL
    args.max_iter = args.max_iter if args.max_iter is not None else DEFAULT_MAX_ITER
    return run_chunked(args, _INIT_METHODS)


def _run(args: argparse.Namespace) -> FitOutcome:
    if args.init is not None:
        for flag, value in (("--init-method", args.init_method), ("--restarts", args.restarts)):
            if value is not None:
                raise _OptionError(f"{flag} applies to -k; --init starts from the file's mixture")
    _check_outputs(args)
    start_info = read_mixture(args.init)[1] if args.init is not None else None
    dataset, notes = _choose_columns(args, start_info)
    X = dataset.values
    notes_list = list(notes)
    restarts = args.init is None and args.restarts is not None
    # Restarts compare where runs end, so they climb to convergence unless told otherwise.
    tol = args.tol if args.tol is not None else (RUN_TOL if restarts else DEFAULT_TOL)
    max_iter = args.max_iter if args.max_iter is not None else (
        RUN_MAX_ITER if restarts else DEFAULT_MAX_ITER
    )

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
        if info.fit is not None and info.fit.prior is not None and not args.prior:
            notes_list.append(
                f"{args.init} was fitted with a prior; without --prior this fit is by maximum "
                "likelihood"
            )
        start = f"the mixture in {args.init}"
        n_components = init.n_components
    else:
        covariance_type = args.covariance_type or "full"
        method = args.init_method or "kmeans++"
        init = _INIT_METHODS[method]
        n_components = args.k
        start = f"{method} (seed {args.seed}), 1 run"

    settings = {
        "covariance_type": covariance_type, "max_iter": max_iter, "tol": tol,
        "reg_covar": args.reg_covar,
    }
    try:
        prior = Prior.default(X, n_components) if args.prior else None
        if restarts:
            result = _restarts(X, n_components, args.restarts, str(init), seed=args.seed,
                               prior=prior, **settings)
        else:
            fitted = fit(X, _start(X, n_components, init, args.seed, settings), prior=prior,
                         **settings)
    except ValueError as exc:
        raise ValueError(f"{args.data}: {str(exc).rstrip('.')}") from None

    kept: int | None = None
    if restarts:
        best = result.best
        if best is None:
            raise ValueError(f"{args.data}: {_all_degenerate(result, args)}")
        kept = best.index
        start = (
            f"{args.init_method or 'kmeans++'} (seed {args.seed}), best of {args.restarts} "
            f"runs that is not degenerate: run {best.index + 1} (seed {best.seed})"
        )
        mixture, n_iter, converged = best.mixture, best.n_iter, best.converged
        history, warnings = best.history, best.issues
        degenerate, posterior = best.degenerate_components, best.mean_log_posterior
    else:
        mixture, n_iter, converged = fitted.mixture, fitted.n_iter, fitted.converged
        history, warnings = fitted.history, tuple(i.message for i in fitted.issues)
        degenerate, posterior = fitted.degenerate_components, fitted.mean_log_posterior
    resp, log_likelihood = e_step(X, mixture)
    return FitOutcome(
        dataset=dataset,
        mixture=mixture,
        n_iter=n_iter,
        converged=converged,
        history=tuple(history),
        warnings=tuple(warnings),
        degenerate_components=tuple(degenerate),
        resp=resp,
        log_likelihood=log_likelihood,
        bic=bic(X, mixture),
        aic=aic(X, mixture),
        start=start,
        notes=tuple(notes_list),
        tol=tol,
        max_iter=max_iter,
        reg_covar=args.reg_covar,
        prior=prior,
        mean_log_posterior=float(posterior),
        restarts=result if restarts else None,
        kept=kept,
    )


def _start(
    X: np.ndarray, n_components: int, init: Mixture | str, seed: int, settings: dict
) -> Mixture:
    """The start of a single run: the file's mixture, or the window's start for the method
    and seed (:func:`gmm_gui.model.draw_start`: the toolbar and Restarts draw the same)."""
    if isinstance(init, Mixture):
        return init
    return draw_start(X, n_components, init, seed=seed,
                      covariance_type=settings["covariance_type"],
                      reg_covar=settings["reg_covar"])


def _restarts(
    X: np.ndarray, n_components: int, n_starts: int, init: str, *, covariance_type: str,
    seed: int, max_iter: int, tol: float, reg_covar: float, prior: Prior | None,
) -> RestartsResult:
    """Runs from ``n_starts`` starts, as the window's Restarts makes them
    (:func:`gmm_gui.model.run_restarts`: one seed per run from ``run_seeds``, each run's start
    from :func:`gmm_gui.model.draw_start`)."""
    return run_restarts(X, n_components, n_starts, init, seed=seed,
                        covariance_type=covariance_type, max_iter=max_iter, tol=tol,
                        reg_covar=reg_covar, prior=prior)


def _all_degenerate(result: RestartsResult, args: argparse.Namespace) -> str:
    """The sentence for restarts whose every run collapsed: nothing is written."""
    n = len(result.runs)
    runs = "the only run" if n == 1 else f"all {n} runs"
    if args.prior:
        advice = "try more --restarts or fewer components"
    else:
        advice = "use --prior (MAP-EM), a larger --reg-covar, or fewer components"
    return (
        f"{runs} ended in a degenerate solution (a component collapsed onto too few points), "
        f"not a maximum, so there is no mixture to keep and nothing was written; {advice}"
    )


def _write_outputs(args: argparse.Namespace, outcome: FitOutcome) -> None:
    """Write --out and --labels together: each atomically, neither if either cannot be written."""
    files: dict[str, str] = {}
    if args.out is not None:
        info = fit_info(outcome, seed=args.seed if args.init is None else None)
        try:
            files[args.out] = mixture_to_json(outcome.mixture, outcome.dataset.columns, info)
        except ValueError as exc:
            raise ValueError(f"{args.out}: cannot be written: {exc}") from None
    if args.labels is not None:
        files[args.labels] = responsibilities_csv(outcome.resp, outcome.dataset.row_index)
    if files:
        atomic_write_many(files)


if __name__ == "__main__":
    raise SystemExit(main())
