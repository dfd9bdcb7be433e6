"""Hostile files (issue #12): never hang, never run out of memory, always say what happened.

Each test makes its hostile file itself in ``tmp_path``. Cases that could hang or eat memory run
in a child process under a timeout and an address-space limit (see ``hostile.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hostile import gmm_fit_in_child, load_in_child, one_error_line, run_child

from gmm_gui.io import DataError, ParameterFileError, load_dataset, read_mixture, write_mixture
from gmm_gui.model import Mixture

pytestmark = pytest.mark.skipif(os.name != "posix", reason="FIFOs and devices are POSIX")


def _params(path: Path, n_features: int = 2) -> Path:
    mixture = Mixture(
        np.array([0.5, 0.5]),
        np.arange(2 * n_features, dtype=float).reshape(2, n_features),
        np.stack([np.eye(n_features)] * 2),
        "full",
    )
    write_mixture(path, mixture, [f"c{j}" for j in range(n_features)])
    return path


def _csv(path: Path, n: int = 60) -> Path:
    rng = np.random.default_rng(0)
    rows = "\n".join(f"{a:.6f},{b:.6f}" for a, b in rng.normal(size=(n, 2)))
    path.write_text("x,y\n" + rows + "\n", encoding="utf-8")
    return path


# ------------------------------------------------------------------------- 2. hangs


def test_a_fifo_given_as_data_is_refused_before_it_is_opened(tmp_path):
    fifo = tmp_path / "data.csv"
    os.mkfifo(fifo)
    message = load_in_child(fifo)
    assert message == f"{fifo}: is a named pipe (FIFO), not a regular file; " \
        "gmm-gui reads only regular files"


def test_dev_zero_behind_a_symbolic_link_is_refused(tmp_path):
    link = tmp_path / "zeros.csv"
    link.symlink_to("/dev/zero")
    message = load_in_child(link)
    assert message.startswith(f"{link}: is a character device, not a regular file")


def test_a_folder_is_refused_in_words(tmp_path):
    with pytest.raises(DataError, match="is a folder, not a file"):
        load_dataset(tmp_path)
    with pytest.raises(ParameterFileError, match="is a folder, not a file"):
        read_mixture(tmp_path)


def test_a_fifo_given_as_parameter_file_is_refused(tmp_path):
    fifo = tmp_path / "params.json"
    os.mkfifo(fifo)
    done = run_child(
        f"""
        from gmm_gui.io import ParameterFileError, read_mixture
        try:
            read_mixture({str(fifo)!r})
        except ParameterFileError as exc:
            print(exc)
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        f"{fifo}: is a named pipe (FIFO), not a regular file; gmm-gui reads only regular files"
    )


def test_a_file_swapped_for_a_fifo_after_the_check_is_refused_without_blocking(tmp_path):
    """The check is made again on the opened descriptor, which is opened non-blocking."""
    fifo = tmp_path / "data.csv"
    os.mkfifo(fifo)
    done = run_child(
        f"""
        import gmm_gui.io.files as files
        from gmm_gui.io import DataError, load_dataset
        files.regular_file_size = lambda *args, **kwargs: 0  # the swap comes after the stat
        try:
            load_dataset({str(fifo)!r})
        except DataError as exc:
            print(exc)
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{fifo}: is a named pipe (FIFO)")


@pytest.mark.parametrize("role", ["data", "init"])
def test_gmm_fit_refuses_a_fifo_as_input(tmp_path, role):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    if role == "data":
        done = gmm_fit_in_child(fifo, "-k", 2)
    else:
        done = gmm_fit_in_child(_csv(tmp_path / "d.csv"), "--init", fifo)
    line = one_error_line(done)
    assert f"{fifo}: is a named pipe (FIFO)" in line


@pytest.mark.parametrize("flag", ["--out", "--labels"])
def test_gmm_fit_does_not_block_on_an_output_fifo_nobody_reads(tmp_path, flag):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    other = tmp_path / "other.out"
    other_flag = "--labels" if flag == "--out" else "--out"
    done = gmm_fit_in_child(_csv(tmp_path / "d.csv"), "-k", 2, flag, fifo, other_flag, other)
    line = one_error_line(done)
    assert str(fifo) in line and "no program is reading" in line
    assert not other.exists()  # refused before anything was written
