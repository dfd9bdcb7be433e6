"""The gmm-gui/mixture JSON file, the responsibilities CSV and atomic writes."""

from __future__ import annotations

import copy
import csv
import json
import os
import re
import stat
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gmm_gui.io import (
    FitInfo,
    ParameterFileError,
    atomic_write,
    atomic_write_many,
    load_dataset,
    mixture_to_json,
    read_mixture,
    write_mixture,
    write_responsibilities,
)
from gmm_gui.io.atomic import atomic_path
from gmm_gui.model import Mixture, e_step, fit

DOC = Path(__file__).resolve().parents[2] / "docs" / "parameter-format.md"


def _random_mixture(rng, k, d, covariance_type="full"):
    weights = rng.dirichlet(np.ones(k))
    means = rng.normal(scale=10, size=(k, d))
    A = rng.normal(size=(k, d, d))
    cov = A @ A.transpose(0, 2, 1) + 0.1 * np.eye(d)
    mixture = Mixture(weights, means, cov, "full")
    return mixture if covariance_type == "full" else mixture.as_type(covariance_type)


FIT = FitInfo(
    n_points=272, n_iter=12, converged=True, log_likelihood=-1130.3,
    mean_log_likelihood=-4.155, bic=2322.2, aic=2282.5, reg_covar=1e-6, tol=1e-3, seed=0,
    mean_log_likelihood_history=(-5.1, -4.4, -4.16),
)


# ------------------------------------------------------------------------- round trip


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    k=st.integers(1, 5),
    d=st.integers(1, 4),
    covariance_type=st.sampled_from(["full", "diag", "spherical", "tied"]),
)
def test_round_trip_gives_identical_arrays(tmp_path_factory, seed, k, d, covariance_type):
    mixture = _random_mixture(np.random.default_rng(seed), k, d, covariance_type)
    path = tmp_path_factory.mktemp("rt") / "p.json"
    columns = [f"c{j}" for j in range(d)]
    write_mixture(path, mixture, columns)
    back, info = read_mixture(path, n_features=d, n_components=k)
    np.testing.assert_array_equal(back.weights, mixture.weights)
    np.testing.assert_array_equal(back.means, mixture.means)
    np.testing.assert_array_equal(back.covariances, mixture.covariances)
    assert back.covariance_type == covariance_type == info.covariance_type
    assert info.columns == tuple(columns) and info.fit is None


def test_file_holds_exact_weights(tmp_path):
    mixture = _random_mixture(np.random.default_rng(1613), 3, 1)
    write_mixture(tmp_path / "p.json", mixture, ["x"])
    doc = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    np.testing.assert_array_equal(np.array(doc["weights"]), mixture.weights)


def test_written_file_has_the_documented_layout(tmp_path):
    mixture = _random_mixture(np.random.default_rng(0), 2, 2)
    write_mixture(tmp_path / "p.json", mixture, ["eruptions", "waiting"], FIT)
    doc = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    assert list(doc) == [
        "format", "version", "covariance_type", "columns", "weights", "means", "covariances", "fit"
    ]
    assert doc["format"] == "gmm-gui/mixture" and doc["version"] == 1
    assert np.array(doc["covariances"]).shape == (2, 2, 2)
    assert doc["fit"] == {
        "n_points": 272, "n_iter": 12, "converged": True, "log_likelihood": -1130.3,
        "mean_log_likelihood": -4.155, "bic": 2322.2, "aic": 2282.5, "reg_covar": 1e-06,
        "tol": 0.001, "seed": 0, "mean_log_likelihood_history": [-5.1, -4.4, -4.16],
    }
    _, info = read_mixture(tmp_path / "p.json")
    assert info.fit == FIT


def test_issue_example_reads(tmp_path):
    text = """{
      "format": "gmm-gui/mixture", "version": 1, "covariance_type": "full",
      "columns": ["eruptions", "waiting"], "weights": [0.36, 0.64],
      "means": [[2.04, 54.48], [4.29, 79.97]],
      "covariances": [[[0.07, 0.44], [0.44, 33.7]], [[0.17, 0.94], [0.94, 36.0]]],
      "fit": {"n_points": 272, "n_iter": 12, "converged": true, "log_likelihood": -1130.3,
              "mean_log_likelihood": -4.155, "bic": 2322.2, "aic": 2282.5, "reg_covar": 1e-06,
              "tol": 0.001, "seed": 0, "mean_log_likelihood_history": [-5.1, -4.4, -4.16]}
    }"""
    (tmp_path / "p.json").write_text(text, encoding="utf-8")
    mixture, info = read_mixture(tmp_path / "p.json", n_features=2)
    np.testing.assert_array_equal(mixture.means, [[2.04, 54.48], [4.29, 79.97]])
    assert info.fit == FIT


# ------------------------------------------------------------------------- validation


def _valid_doc():
    return {
        "format": "gmm-gui/mixture", "version": 1, "covariance_type": "full",
        "columns": ["x", "y"], "weights": [0.25, 0.75],
        "means": [[0.0, 0.0], [5.0, 5.0]],
        "covariances": [[[1.0, 0.5], [0.5, 2.0]], [[1.0, 0.0], [0.0, 1.0]]],
    }


def _set(doc, key, value):
    doc[key] = value


MUTATIONS = [
    ("format", lambda d: _set(d, "format", "something-else"), "not a gmm-gui mixture file"),
    ("no-format", lambda d: d.pop("format"), "not a gmm-gui mixture file"),
    ("version", lambda d: _set(d, "version", 2), "has version 2; this gmm-gui reads version 1"),
    ("missing-key", lambda d: d.pop("means"), "has no 'means'"),
    ("cov-type", lambda d: _set(d, "covariance_type", "banana"), "covariance_type is 'banana'"),
    ("weights-sum", lambda d: _set(d, "weights", [0.5, 0.6]), "the weights sum to 1.1, not 1"),
    ("negative-weight", lambda d: _set(d, "weights", [-0.5, 1.5]),
     "component 1 has a negative weight"),
    ("k-mismatch", lambda d: _set(d, "weights", [0.2, 0.3, 0.5]), "has 3 weights but 2 means"),
    ("cov-shape", lambda d: _set(d, "covariances", [[1.0, 0.0], [0.0, 1.0]]),
     "covariances must be a list of matrices"),
    ("cov-k", lambda d: _set(d, "covariances", [[[1.0, 0.0], [0.0, 1.0]]]),
     "covariances have shape (1, 2, 2); expected (2, 2, 2)"),
    ("ragged-means", lambda d: _set(d, "means", [[0.0, 0.0], [5.0]]),
     "means has rows of different lengths"),
    ("text-number", lambda d: _set(d, "weights", ["0.25", 0.75]), "weights must be a list of"),
    ("columns", lambda d: _set(d, "columns", ["x"]), "has 1 column names but 2-dimensional"),
    ("not-symmetric", lambda d: d["covariances"][0].__setitem__(0, [1.0, 0.9]),
     "component 1's covariance is not symmetric"),
    ("not-pd", lambda d: _set(d, "covariances", [[[1.0, 0.0], [0.0, 1.0]],
                                                 [[1.0, 2.0], [2.0, 1.0]]]),
     "component 2's covariance is not positive definite"),
    ("diag-with-offdiag", lambda d: _set(d, "covariance_type", "diag"), "component 1"),
    ("fit-type", lambda d: _set(d, "fit", {"n_iter": "many"}), "fit.n_iter must be a whole"),
]


@pytest.mark.parametrize(
    ("mutate", "message"), [m[1:] for m in MUTATIONS], ids=[m[0] for m in MUTATIONS]
)
def test_invalid_files_say_what_is_wrong(tmp_path, mutate, message):
    doc = copy.deepcopy(_valid_doc())
    mutate(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ParameterFileError) as info:
        read_mixture(path)
    text = str(info.value)
    assert text.startswith(f"{path}: ") and message in text and "\n" not in text


def test_valid_doc_is_valid(tmp_path):
    (tmp_path / "ok.json").write_text(json.dumps(_valid_doc()), encoding="utf-8")
    mixture, info = read_mixture(tmp_path / "ok.json")
    assert mixture.n_components == 2 and info.columns == ("x", "y")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON (line 1, column 2"),
        ("[1, 2]", "the JSON is not an object"),
        ('{"format": "gmm-gui/mixture", "version": 1, "weights": [NaN]}', "NaN is not allowed"),
    ],
)
def test_not_a_parameter_file(tmp_path, content, message):
    (tmp_path / "p.json").write_text(content, encoding="utf-8")
    with pytest.raises(ParameterFileError, match=re.escape(message)):
        read_mixture(tmp_path / "p.json")


def test_dimension_and_k_checked_against_the_data(tmp_path, datasets_dir):
    (tmp_path / "p.json").write_text(json.dumps(_valid_doc()), encoding="utf-8")
    galaxies = load_dataset(datasets_dir / "galaxies.csv")
    with pytest.raises(ParameterFileError, match="describes 2-dimensional data .* has 1 column"):
        read_mixture(tmp_path / "p.json", dataset=galaxies)
    with pytest.raises(ParameterFileError, match="has 2 components but 3 were asked for"):
        read_mixture(tmp_path / "p.json", n_components=3)
    with pytest.raises(ParameterFileError, match="no such file"):
        read_mixture(tmp_path / "missing.json")


def test_writing_refuses_wrong_column_count():
    mixture = _random_mixture(np.random.default_rng(1), 2, 2)
    with pytest.raises(ValueError, match="1 column names given"):
        mixture_to_json(mixture, ["x"])


# ------------------------------------------------------------------------- scikit-learn recipe


def _doc_code_blocks():
    text = DOC.read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_documented_sklearn_recipe_reproduces_predict_proba(tmp_path, monkeypatch, datasets_dir):
    """Run the README-style recipe from docs/parameter-format.md on a file gmm-gui wrote."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture

    data = load_dataset(datasets_dir / "faithful.csv")
    for covariance_type in ("full", "diag", "spherical", "tied"):
        mixture = _random_mixture(np.random.default_rng(3), 3, 2, covariance_type)
        mixture = Mixture(mixture.weights, data.values[[0, 50, 100]], mixture.covariances * 20,
                          covariance_type)
        monkeypatch.chdir(tmp_path)
        write_mixture("params.json", mixture, data.columns)
        use_as_is, start_there = _doc_code_blocks()[:2]
        namespace: dict = {}
        exec(use_as_is, namespace)
        exec(start_there, namespace)
        resp, _ = e_step(data.values, mixture)
        np.testing.assert_allclose(namespace["gm"].predict_proba(data.values), resp, atol=1e-12)
        np.testing.assert_allclose(
            namespace["gm"].score_samples(data.values).sum(), e_step(data.values, mixture)[1]
        )
        start = namespace["start"]
        assert isinstance(start, GaussianMixture)
        # Started from the file, one EM iteration in scikit-learn = one in gmm-gui.
        start.set_params(max_iter=1)
        with pytest.warns(ConvergenceWarning):  # one iteration cannot meet scikit-learn's test
            start.fit(data.values)
        ours = fit(data.values, mixture, covariance_type=covariance_type, max_iter=1).mixture
        np.testing.assert_allclose(start.weights_, ours.weights, rtol=1e-10)
        np.testing.assert_allclose(start.means_, ours.means, rtol=1e-10)
        np.testing.assert_allclose(start.covariances_, ours.compact_covariances(), rtol=1e-8)


# ------------------------------------------------------------------------- responsibilities CSV


def test_responsibilities_csv(tmp_path):
    rng = np.random.default_rng(0)
    resp = rng.dirichlet(np.ones(3), size=6)
    index = np.array([0, 2, 3, 7, 8, 9])
    write_responsibilities(tmp_path / "r.csv", resp, index)
    with open(tmp_path / "r.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["index", "component_1", "component_2", "component_3", "label"]
    body = rows[1:]
    np.testing.assert_array_equal([int(r[0]) for r in body], index)
    np.testing.assert_array_equal(np.array([r[1:4] for r in body], dtype=float), resp)
    np.testing.assert_array_equal([int(r[4]) for r in body], resp.argmax(axis=1) + 1)


def test_responsibilities_shapes_checked(tmp_path):
    with pytest.raises(ValueError, match="row_index must be 2 integers"):
        write_responsibilities(tmp_path / "r.csv", np.ones((2, 1)), [0, 1, 2])
    assert not (tmp_path / "r.csv").exists()


# ------------------------------------------------------------------------- atomic writes


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_atomic_write_replaces_and_keeps_mode(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old", encoding="utf-8")
    os.chmod(target, 0o640)
    atomic_write(target, "new ü")
    assert target.read_text(encoding="utf-8") == "new ü"
    assert target.stat().st_mode & 0o777 == 0o640
    atomic_write(target, b"\x00bytes")
    assert target.read_bytes() == b"\x00bytes"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_failed_write_leaves_previous_file_and_no_temp(tmp_path, monkeypatch, failing):
    target = tmp_path / "params.json"
    target.write_text("previous content", encoding="utf-8")

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, boom)
    with pytest.raises(OSError, match="No space left"):
        write_mixture(target, _random_mixture(np.random.default_rng(0), 2, 2), ["a", "b"])
    monkeypatch.undo()
    assert target.read_text(encoding="utf-8") == "previous content"
    assert _leftovers(tmp_path) == []


def test_serialisation_error_touches_nothing(tmp_path, monkeypatch):
    target = tmp_path / "params.json"
    target.write_text("previous content", encoding="utf-8")
    bad_fit = {"n_points": object()}  # not JSON-serialisable
    with pytest.raises(TypeError):
        write_mixture(target, _random_mixture(np.random.default_rng(0), 2, 2), ["a", "b"],
                      bad_fit)
    assert target.read_text(encoding="utf-8") == "previous content"
    assert _leftovers(tmp_path) == []


def test_deeply_nested_json_is_refused_in_words(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(ValueError, match="deep.json: not a gmm-gui mixture file"):
        read_mixture(path)


def test_a_failed_write_names_the_users_file_not_the_temporary_one(tmp_path):
    target = tmp_path / "no-such-folder" / "params.json"
    with pytest.raises(FileNotFoundError) as info:
        atomic_write(target, "{}")
    assert info.value.filename == str(target)
    assert str(target) in str(info.value)


def test_atomic_write_many_is_all_or_nothing_while_writing(tmp_path):
    first = tmp_path / "a.txt"
    first.write_text("a0", encoding="utf-8")
    with pytest.raises(OSError):
        atomic_write_many({first: "a1", tmp_path / "no-such-folder" / "b.txt": "b1"})
    assert first.read_text(encoding="utf-8") == "a0"
    assert _leftovers(tmp_path) == []
    atomic_write_many({first: "a1", tmp_path / "b.txt": "b1"})
    assert first.read_text(encoding="utf-8") == "a1"
    assert (tmp_path / "b.txt").read_text(encoding="utf-8") == "b1"


def test_a_symbolic_link_is_written_through_and_stays_a_link(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_mixture(link, _random_mixture(np.random.default_rng(0), 2, 2), ["a", "b"])
    assert link.is_symlink()
    mixture, _ = read_mixture(real)
    assert mixture.n_components == 2
    with atomic_path(tmp_path / "link.json") as tmp:  # the way plots are exported
        tmp.write_text("plot", encoding="utf-8")
    assert link.is_symlink() and real.read_text(encoding="utf-8") == "plot"
    assert _leftovers(tmp_path) == []


def test_a_pipe_is_written_to_not_replaced(tmp_path):
    """A destination that is not a regular file (a pipe, /dev/null) is written to directly."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for write in (
        lambda: atomic_write(fifo, "through the pipe"),
        lambda: atomic_path_write(fifo, "through the pipe"),
    ):
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # open first: the writer won't wait
        try:
            write()
            received = os.read(reader, 1000)
        except BlockingIOError:  # nothing came through the pipe
            received = b""
        finally:
            os.close(reader)
        assert received == b"through the pipe"
        assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def atomic_path_write(path, text):
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("where", "digits"),
    [("means", 400), ("means", 5000), ("fit", 400), ("history", 400)],
)
def test_whole_numbers_beyond_any_float_are_refused_with_the_file_name(tmp_path, where, digits):
    text = json.dumps(_valid_doc())
    huge = "1" + "0" * (digits - 1)
    if where == "means":
        text = text.replace('"means": [[0.0, 0.0]', f'"means": [[{huge}, 0.0]')
    elif where == "fit":
        text = text[:-1] + f', "fit": {{"log_likelihood": {huge}}}}}'
    else:
        text = text[:-1] + f', "fit": {{"mean_log_likelihood_history": [{huge}]}}}}'
    path = tmp_path / "huge.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParameterFileError) as info:
        read_mixture(path)
    assert str(info.value) == (
        f"{path}: holds a whole number of {digits} digits, too large to be a finite number"
    )


def test_the_largest_whole_numbers_a_float_holds_are_read(tmp_path):
    doc = _valid_doc()
    doc["fit"] = {"n_points": 10**300, "seed": 2**64}
    path = tmp_path / "big.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    _, info = read_mixture(path)
    assert info.fit.n_points == 10**300 and info.fit.seed == 2**64
