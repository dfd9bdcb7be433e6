"""``gmm-gui`` on the command line: arguments, the default sample, --steps and --screenshot."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from PySide6.QtGui import QImage

from gmm_gui.io.mixture_file import write_mixture
from gmm_gui.model import Mixture, fit
from gmm_gui.ui.app import (
    avoid_huge_page_stalls,
    build_parser,
    build_window,
    main,
    run_iterations,
)
from gmm_gui.ui.views import PlotView1D


def test_screenshot_after_steps_writes_a_png(qapp, tmp_path):
    out = tmp_path / "window.png"
    assert main(["--steps", "3", "--screenshot", str(out)]) == 0
    image = QImage(str(out))
    assert not image.isNull()
    assert image.width() >= 1000 and image.height() >= 600
    assert [p.name for p in tmp_path.iterdir()] == ["window.png"]  # no temporary file left


def test_default_window_is_old_faithful_ready_to_play(qtbot):
    window = build_window()
    qtbot.addWidget(window)
    assert window.dataset.columns == ("eruptions", "waiting")
    stepper = window.session.stepper
    assert stepper.start.n_components == 2
    assert stepper.start_info.method == "kmeans++" and stepper.start_info.seed == 0
    assert window.actions_by_name["play"].isEnabled()
    window.close()


def test_steps_run_that_many_iterations_like_fit(qtbot):
    args = build_parser().parse_args(["-k", "3", "--seed", "4"])
    window = build_window(args)
    qtbot.addWidget(window)
    start = window.session.stepper.start
    run_iterations(window, 4)
    snap = window.session.snapshot
    result = fit(window.session.stepper.X, start, max_iter=4, tol=0.0)
    assert snap.iteration == 4 and snap.phase == "M"
    np.testing.assert_allclose(snap.mixture.means, result.mixture.means)
    window.close()


def test_columns_and_init_from_a_parameter_file(qtbot, tmp_path, datasets_dir):
    params = tmp_path / "start.json"
    start = Mixture([0.4, 0.6], [[1.5, 0.3], [5.0, 1.8]], [np.eye(2) * 0.2, np.eye(2) * 0.5])
    write_mixture(params, start, ["Petal.Length", "Petal.Width"])
    args = build_parser().parse_args(
        [str(datasets_dir / "iris.csv"), "--columns", "Petal.Length,Petal.Width", "--init",
         str(params)]
    )
    window = build_window(args)
    qtbot.addWidget(window)
    assert window.dataset.columns == ("Petal.Length", "Petal.Width")
    assert window.session.stepper.start == start
    window.close()


def test_one_column_opens_the_1d_view(qtbot, datasets_dir):
    args = build_parser().parse_args([str(datasets_dir / "Davis.csv"), "--columns", "height"])
    window = build_window(args)
    qtbot.addWidget(window)
    assert isinstance(window.view, PlotView1D)
    window.close()


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["-k", "0"], "at least 1"),
        (["-k", "2", "--init", "p.json"], "not allowed with"),
        (["--steps", "-1"], "0 or more"),
        (["--columns", "a,b,c"], "one or two"),
        (["--seed", "x"], "whole number"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(qapp, capsys, argv, needle):
    assert main(argv) == 2
    assert needle in capsys.readouterr().err


def test_bad_data_exits_2_naming_the_file(qapp, capsys, tmp_path, datasets_dir):
    out = tmp_path / "w.png"
    assert main([str(tmp_path / "nope.csv"), "--screenshot", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gmm-gui: error:") and "nope.csv" in err
    assert main([str(datasets_dir / "iris.csv"), "--screenshot", str(out)]) == 2
    assert "--columns" in capsys.readouterr().err
    assert main([str(datasets_dir / "faithful.csv"), "--columns", "eruptions,nothing"]) == 2
    assert "nothing" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    assert main(["--init", str(bad), "--screenshot", str(out)]) == 2
    assert "bad.json" in capsys.readouterr().err
    assert main(["-k", "500", "--screenshot", str(out)]) == 2
    assert "at most 10" in capsys.readouterr().err
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("x,y\n1,2\n3,5\n4,4\n")
    assert main([str(tiny), "-k", "5", "--screenshot", str(out)]) == 2
    assert "5 components" in capsys.readouterr().err
    assert not out.exists()


def test_python_m_gmm_gui_screenshot_in_a_fresh_process(tmp_path, datasets_dir):
    out = tmp_path / "iris.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gmm_gui",
            str(datasets_dir / "iris.csv"),
            "--columns",
            "Petal.Length,Petal.Width",
            "-k",
            "3",
            "--steps",
            "5",
            "--screenshot",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert not QImage(str(out)).isNull()


@pytest.fixture
def huge_page_advice():
    """NumPy's huge-page advice, put back as it was after the test."""
    multiarray = np._core.multiarray
    before = multiarray._get_madvise_hugepage()
    yield multiarray
    multiarray._set_madvise_hugepage(before)


def test_the_window_turns_numpys_huge_page_advice_off(qtbot, monkeypatch, huge_page_advice):
    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    huge_page_advice._set_madvise_hugepage(True)
    window = build_window()
    qtbot.addWidget(window)
    assert huge_page_advice._get_madvise_hugepage() is False


def test_the_environment_still_decides_about_huge_pages(monkeypatch, huge_page_advice):
    huge_page_advice._set_madvise_hugepage(True)
    monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")
    assert avoid_huge_page_stalls() is False
    assert huge_page_advice._get_madvise_hugepage() is True
