"""One check of a start against the data, for gmm-fit and the window (issue #12 item 7)."""

from __future__ import annotations

import numpy as np
import pytest

from gmm_gui.cli import main
from gmm_gui.io import ParameterFileError, check_start_for_data, read_mixture, write_mixture
from gmm_gui.model import Mixture


def _mixture(k: int, d: int = 2) -> Mixture:
    rng = np.random.default_rng(0)
    return Mixture(np.full(k, 1.0 / k), rng.normal(size=(k, d)), np.stack([np.eye(d)] * k), "full")


def _points(n: int, d: int = 2) -> np.ndarray:
    return np.random.default_rng(1).normal(size=(n, d))


def test_k_1000_onto_60_points_is_refused_with_a_sentence(tmp_path):
    path = tmp_path / "k1000.json"
    write_mixture(path, _mixture(1000), ["x", "y"])
    mixture, _ = read_mixture(path, n_features=2)
    with pytest.raises(ParameterFileError) as caught:
        check_start_for_data(mixture, _points(60), path)
    assert str(caught.value) == (
        f"{path}: has 1000 components but the data has only 60 points; there must be at "
        "least as many points as components"
    )


def test_as_many_points_as_components_is_accepted():
    check_start_for_data(_mixture(60), _points(60), "p.json")  # no exception


def test_a_start_of_another_dimension_is_refused():
    with pytest.raises(ParameterFileError, match="^p.json: describes 3-dimensional data but the "
                       "data has 2 columns$"):
        check_start_for_data(_mixture(2, d=3), _points(10), "p.json")


def test_gmm_fit_applies_the_same_check(tmp_path, capsys):
    params, data = tmp_path / "k1000.json", tmp_path / "d.csv"
    write_mixture(params, _mixture(1000), ["x", "y"])
    data.write_text("x,y\n" + "\n".join(f"{a},{b}" for a, b in _points(60)) + "\n", "utf-8")
    assert main([str(data), "--init", str(params)]) == 2
    _, err = capsys.readouterr()
    assert err == (
        f"gmm-fit: error: {params}: has 1000 components but the data has only 60 points; "
        "there must be at least as many points as components\n"
    )
