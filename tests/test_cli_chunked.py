"""gmm-fit --chunk-rows and --dask: the in-memory fit, read and written chunk by chunk."""

from __future__ import annotations

import csv
import sys

import numpy as np
import pytest

import gmm_gui.io.chunks as chunks_module
from gmm_gui.cli import main
from gmm_gui.dask_em import DASK_MISSING
from gmm_gui.io import read_mixture


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _blobs(n=2503, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 5.0, size=(3, 2))
    return centres[rng.integers(0, 3, n)] + rng.normal(size=(n, 2))


def _read_labels(path):
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], np.array([r[:-1] for r in rows[1:]], dtype=float), [r[-1] for r in rows[1:]]


@pytest.fixture
def files(tmp_path):
    X = _blobs()
    npy = tmp_path / "x.npy"
    np.save(npy, X)
    text = tmp_path / "x.csv"
    text.write_text("a,b\n" + "".join(f"{a!r},{b!r}\n" for a, b in X.tolist()))
    return tmp_path, npy, text


@pytest.mark.parametrize("source", ["npy", "csv"])
def test_chunked_labels_and_parameters_equal_the_in_memory_ones(files, capsys, source):
    tmp, npy, text = files
    data = npy if source == "npy" else text
    start = tmp / "start.json"
    assert _run(capsys, data, "-k", 3, "--max-iter", 2, "--out", start)[0] == 0
    whole_labels, whole_out = tmp / "whole.csv", tmp / "whole.json"
    code, out_whole, _ = _run(capsys, data, "--init", start, "--out", whole_out,
                              "--labels", whole_labels, "--tol", 1e-5)
    assert code == 0
    part_labels, part_out = tmp / "part.csv", tmp / "part.json"
    code, out_part, err = _run(capsys, data, "--init", start, "--out", part_out,
                               "--labels", part_labels, "--tol", 1e-5, "--chunk-rows", 300,
                               "--quiet")
    assert code == 0 and err == ""
    assert "chunks of 300 rows" in out_part
    head_w, resp_w, hard_w = _read_labels(whole_labels)
    head_p, resp_p, hard_p = _read_labels(part_labels)
    assert head_p == head_w and hard_p == hard_w
    np.testing.assert_allclose(resp_p, resp_w, rtol=1e-9, atol=1e-12)  # index column exact
    m_w, info_w = read_mixture(whole_out)
    m_p, info_p = read_mixture(part_out)
    assert info_p.fit.n_iter == info_w.fit.n_iter
    assert info_p.fit.converged == info_w.fit.converged
    assert info_p.columns == info_w.columns
    np.testing.assert_allclose(m_p.covariances, m_w.covariances, rtol=1e-9)
    assert info_p.fit.bic == pytest.approx(info_w.fit.bic, rel=1e-10)
    assert info_p.fit.aic == pytest.approx(info_w.fit.aic, rel=1e-10)


def test_csv_is_read_in_chunks_never_whole(files, capsys, monkeypatch):
    tmp, _, text = files
    readers = []
    real = chunks_module.CsvChunks

    class Counting(real):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            readers.append(self)

    monkeypatch.setattr(chunks_module, "CsvChunks", Counting)
    code, _, _ = _run(capsys, text, "-k", 3, "--chunk-rows", 250, "--labels", tmp / "r.csv",
                      "--quiet")
    assert code == 0
    assert len(readers) == 1 and readers[0].n_samples == 2503
    assert readers[0].max_rows_held == 250


def test_progress_goes_to_stderr_unless_quiet(files, capsys):
    _, npy, _ = files
    code, out, err = _run(capsys, npy, "-k", 3, "--chunk-rows", 1000, "--max-iter", 3,
                          "--tol", 0)
    assert code == 0
    lines = err.splitlines()
    assert lines[0].startswith("gmm-fit: iteration 1  mean log-likelihood ")
    assert lines[-1].startswith("gmm-fit: iteration 3  mean log-likelihood ")
    assert all(line.endswith(" s") for line in lines)
    assert "gmm-fit: iteration" not in out


def test_dask_local_cluster_gives_the_in_memory_labels(files, capsys):
    tmp, npy, _ = files
    start = tmp / "start.json"
    assert _run(capsys, npy, "-k", 3, "--max-iter", 2, "--out", start)[0] == 0
    assert _run(capsys, npy, "--init", start, "--labels", tmp / "w.csv")[0] == 0
    code, out, _ = _run(capsys, npy, "--init", start, "--labels", tmp / "d.csv", "--dask",
                        "--chunk-rows", 500, "--quiet")
    assert code == 0 and "(Dask)" in out
    _, resp_w, hard_w = _read_labels(tmp / "w.csv")
    _, resp_d, hard_d = _read_labels(tmp / "d.csv")
    assert hard_d == hard_w
    np.testing.assert_allclose(resp_d, resp_w, rtol=1e-9, atol=1e-12)


def test_missing_dask_is_one_line(files, capsys, monkeypatch):
    tmp, npy, _ = files
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    code, out, err = _run(capsys, npy, "-k", 2, "--dask", "--labels", tmp / "r.csv")
    assert code == 2 and out == ""
    assert err == f"gmm-fit: error: {DASK_MISSING}\n"
    assert not (tmp / "r.csv").exists()


def test_chunked_errors_are_one_line_and_write_nothing(files, capsys):
    tmp, _, text = files
    lines = text.read_text().splitlines()
    lines[1200] = "1.0,NA"
    text.write_text("\n".join(lines) + "\n")
    code, out, err = _run(capsys, text, "-k", 2, "--chunk-rows", 500, "--labels", tmp / "r.csv")
    assert code == 2 and out == ""
    assert err.startswith("gmm-fit: error: ") and err.count("\n") == 1
    assert "lines 1002-1501" in err
    assert not (tmp / "r.csv").exists()
    code, _, err = _run(capsys, text, "-k", 2, "--chunk-rows", 500, "--restarts", 3)
    assert code == 2 and "--restarts" in err


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_chunked_map_em_equals_the_in_memory_one(files, capsys, covariance_type):
    """--prior with --chunk-rows: the default prior from one more pass (mean and covariance
    summed about a point of the data) and the MAP fit are the in-memory ones."""
    tmp, npy, text = files
    X = np.load(npy) + 1e4  # far from 0: the moments must lose no digits
    far = tmp / "far.npy"
    np.save(far, X)
    start = tmp / "start.json"
    assert _run(capsys, far, "-k", 3, "--max-iter", 2, "--out", start,
                "--covariance-type", covariance_type)[0] == 0
    common = ("--init", start, "--prior", "--tol", 1e-6, "--quiet")
    assert _run(capsys, far, *common, "--out", tmp / "w.json")[0] == 0
    code, out, err = _run(capsys, far, *common, "--out", tmp / "c.json", "--chunk-rows", 700)
    assert code == 0, err
    m_w, info_w = read_mixture(tmp / "w.json")
    m_c, info_c = read_mixture(tmp / "c.json")
    assert info_c.fit.prior is not None and info_w.fit.prior is not None
    assert (info_c.fit.prior.shrinkage, info_c.fit.prior.dof) == (0.01, 4.0)
    np.testing.assert_allclose(info_c.fit.prior.mean, info_w.fit.prior.mean, rtol=1e-12)
    np.testing.assert_allclose(info_c.fit.prior.scale, info_w.fit.prior.scale, rtol=1e-9)
    assert info_c.fit.n_iter == info_w.fit.n_iter
    np.testing.assert_allclose(m_c.means, m_w.means, rtol=1e-9)
    np.testing.assert_allclose(m_c.covariances, m_w.covariances, rtol=1e-8)
    assert info_c.fit.mean_log_posterior == pytest.approx(info_w.fit.mean_log_posterior,
                                                          rel=1e-10)
