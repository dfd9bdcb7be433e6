"""The chunked EM of :mod:`gmm_gui.model.chunked` run by Dask: the same kernels, on a cluster.

The data are a ``dask.array`` split by rows; every pass maps the engine's own chunk kernels
(:func:`~gmm_gui.model.chunked.chunk_summary`, :func:`~gmm_gui.model.chunked.chunk_stats`,
:func:`~gmm_gui.model.chunked.chunk_scatter`) over the blocks with ``dask.distributed`` and
gathers the small results in block order; the reduce, the M-step and the loop run here, in the
client, and are the in-memory fit's. The result equals :func:`gmm_gui.model.fit`'s to rounding.

Dask is optional (``pip install 'gmm-gui[dask]'``); this module imports it only when called.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from gmm_gui.model.chunked import (
    ChunkedPasses,
    ChunkSummary,
    chunk_summary,
    fit_passes,
)
from gmm_gui.model.em import FitResult, StepCallback
from gmm_gui.model.mixture import Mixture
from gmm_gui.model.prior import Prior

__all__ = ["DASK_MISSING", "fit_dask", "npy_array", "require_dask"]

#: The one line shown when Dask is not installed.
DASK_MISSING = "Dask is not installed; install it with: pip install 'gmm-gui[dask]'"


def require_dask() -> None:
    """Raise ImportError with :data:`DASK_MISSING` unless dask.array and distributed import."""
    try:
        import dask.array  # noqa: F401
        import dask.distributed  # noqa: F401
    except ImportError:
        raise ImportError(DASK_MISSING) from None


def _summary_of_rows(block: np.ndarray, first_row: int) -> ChunkSummary:
    try:
        return chunk_summary(block)
    except ValueError as exc:
        raise ValueError(f"rows {first_row + 1}-{first_row + block.shape[0]}: {exc}") from None


def _read_npy_rows(path: str, start: int, stop: int) -> np.ndarray:
    """Rows ``start:stop`` of an ``.npy`` file, read by whoever runs the task (a worker)."""
    arr = np.load(path, mmap_mode="r", allow_pickle=False)
    return np.array(arr[start:stop], dtype=np.float64)


def npy_array(path: str, chunk_rows: int) -> Any:
    """A dask array of an ``.npy`` file whose blocks the workers read themselves.

    The workers must see the file at the same path (a shared file system); nothing but the
    path and row ranges travels to them.

    Parameters
    ----------
    path : str
        A 2-D (or 1-D) numeric ``.npy`` file.
    chunk_rows : int
        Rows per block.

    Returns
    -------
    dask.array.Array of shape (n_samples, n_features), float64
    """
    require_dask()
    import dask
    import dask.array as da

    meta = np.load(path, mmap_mode="r", allow_pickle=False)
    n = int(meta.shape[0])
    d = 1 if meta.ndim == 1 else int(meta.shape[1])
    if meta.ndim > 2 or meta.dtype.kind not in "biuf":
        raise ValueError(f"{path}: expected a 1-D or 2-D numeric array; got {meta.dtype} "
                         f"of shape {meta.shape}.")
    del meta
    blocks = []
    for start in range(0, n, chunk_rows):
        stop = min(start + chunk_rows, n)
        block = dask.delayed(_read_npy_rows, pure=True)(path, start, stop)
        blocks.append(da.from_delayed(block, shape=(stop - start, d) if d > 1 else
                                      (stop - start,), dtype=np.float64))
    arr = da.concatenate(blocks, axis=0)
    return arr[:, None] if d == 1 else arr


def _dask_map(client: Any, blocks: Sequence[Any]) -> Callable[..., list]:
    import dask

    def map_chunks(kernel: Callable, *args) -> list:
        tasks = [dask.delayed(kernel, pure=True)(block, *args) for block in blocks]
        return list(client.gather(client.compute(tasks)))

    return map_chunks


def fit_dask(
    X: Any,
    init: Mixture,
    *,
    client: Any = None,
    address: str | None = None,
    chunk_rows: int | None = None,
    covariance_type: str = "full",
    max_iter: int = 100,
    tol: float = 1e-3,
    reg_covar: float = 1e-6,
    prior: Prior | None = None,
    on_step: StepCallback | None = None,
    persist: bool = False,
) -> FitResult:
    """Fit by EM from ``init`` with the chunk kernels run by Dask.

    Parameters
    ----------
    X : dask.array.Array or array of shape (n_samples, n_features)
        A NumPy array is split into blocks of ``chunk_rows`` rows first.
    init : Mixture
    client : dask.distributed.Client, optional
        The cluster to use. Without it (and without ``address``) a ``LocalCluster`` on this
        machine is started for the fit and closed after it.
    address : str, optional
        A running scheduler (``tcp://host:8786``) to connect to, when no ``client`` is given.
    chunk_rows : int, optional
        Rows per block (the array's own row chunks otherwise; default 1e6 for a NumPy array).
    covariance_type, max_iter, tol, reg_covar, prior, on_step
        As for :func:`gmm_gui.model.fit`.
    persist : bool
        Keep the blocks in the workers' memory between passes (faster; the cluster's memory
        must then hold the data) instead of reading them again in every pass.

    Returns
    -------
    FitResult
        Equal to ``fit(X, init, ...)`` to rounding.

    Raises
    ------
    ImportError
        With :data:`DASK_MISSING` when Dask is not installed.
    """
    require_dask()
    import dask
    import dask.array as da
    from dask.distributed import Client, LocalCluster

    if not isinstance(X, da.Array):
        arr = np.asarray(X, dtype=np.float64)
        if arr.ndim == 1:
            arr = arr[:, None]
        X = da.from_array(arr, chunks=(int(chunk_rows or 1_000_000), arr.shape[1]))
    elif X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n_samples, n_features); got {X.shape}.")
    X = X.rechunk({0: int(chunk_rows) if chunk_rows else X.chunks[0], 1: -1})

    own: list[Any] = []
    if client is None:
        if address is not None:
            client = Client(address)
        else:
            cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                   dashboard_address=None)
            own.append(cluster)
            client = Client(cluster)
        own.insert(0, client)
    try:
        if persist:
            X = client.persist(X)
        blocks = list(X.to_delayed().ravel())
        starts = np.concatenate([[0], np.cumsum(X.chunks[0])[:-1]]).astype(int)
        summarise = dask.delayed(_summary_of_rows, pure=True)
        tasks = [summarise(b, int(s)) for b, s in zip(blocks, starts, strict=True)]
        parts = client.gather(client.compute(tasks))
        summary = parts[0]
        for part in parts[1:]:
            summary = summary.combine(part)
        passes = ChunkedPasses(_dask_map(client, blocks), summary.centre(), summary.n_samples)
        return fit_passes(
            passes, summary, init, covariance_type=covariance_type, max_iter=max_iter, tol=tol,
            reg_covar=reg_covar, prior=prior, on_step=on_step,
        )
    finally:
        for thing in own:
            thing.close()
