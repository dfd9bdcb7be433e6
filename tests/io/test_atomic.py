"""The atomic writer in hostile folders (issue #12 item 1): planted links, long names, leftovers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import gmm_gui.io.atomic as atomic
from gmm_gui.io import atomic_write, atomic_write_many
from gmm_gui.io.atomic import atomic_path, remove_stale_temps

pytestmark = pytest.mark.skipif(os.name != "posix", reason="symbolic links and pids are POSIX")


def _ours(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".gmmtmp-" in p.name)


def _predictable(monkeypatch, *tokens: str) -> None:
    """Make the random part of the next temporary names ``tokens``, in order."""
    queue = list(tokens)
    monkeypatch.setattr(atomic.secrets, "token_hex", lambda n: queue.pop(0))


def _write_by_name(path, text):
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as handle:  # as Qt does: open the name, write
            handle.write(text)


@pytest.mark.parametrize("write", [atomic_write, _write_by_name], ids=["bytes", "by-name"])
def test_a_link_planted_at_the_temporary_name_is_never_followed(tmp_path, monkeypatch, write):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    target = tmp_path / "shot.png"
    planted = tmp_path / f".shot.png.gmmtmp-{os.getpid()}-{'a' * 12}.tmp"
    planted.symlink_to(victim)
    _predictable(monkeypatch, "a" * 12, "b" * 12)
    write(target, "new content")
    assert target.read_text(encoding="utf-8") == "new content"
    assert victim.read_text(encoding="utf-8") == "precious"
    assert planted.is_symlink()  # not ours: left alone
    assert _ours(tmp_path) == [planted.name]


def test_the_temporary_file_exists_before_a_writer_gets_its_name(tmp_path):
    with atomic_path(tmp_path / "plot.svg") as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".plot.svg.gmmtmp-")
        assert tmp.is_file() and not tmp.is_symlink() and tmp.stat().st_size == 0
        tmp.write_text("<svg/>", encoding="utf-8")
    assert (tmp_path / "plot.svg").read_text(encoding="utf-8") == "<svg/>"
    assert _ours(tmp_path) == []


def test_a_temporary_file_swapped_for_a_link_is_not_renamed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    target = tmp_path / "plot.png"
    with pytest.raises(OSError), atomic_path(target) as tmp:
        tmp.unlink()
        tmp.symlink_to(victim)
    assert not target.exists() and victim.read_text(encoding="utf-8") == "precious"
    assert _ours(tmp_path) == []


@pytest.mark.parametrize("name", ["a" * 247 + ".csv", "b" * 251 + ".png", "é" * 125 + ".csv"])
@pytest.mark.parametrize("write", [atomic_write, _write_by_name], ids=["bytes", "by-name"])
def test_a_legal_long_file_name_still_works(tmp_path, name, write):
    assert 250 <= len(os.fsencode(name)) <= 255
    target = tmp_path / name
    write(target, "long")
    assert target.read_text(encoding="utf-8") == "long"
    write(target, "again")  # replacing works too
    assert target.read_text(encoding="utf-8") == "again"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def _dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    return int(child.stdout)


def _leftover(folder: Path, name: str, pid: int, age: float, token: str = "c" * 12) -> Path:
    path = folder / f".{name}.gmmtmp-{pid}-{token}.tmp"
    path.write_text("half a file", encoding="utf-8")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_a_leftover_of_a_crashed_write_is_removed_by_the_next_write(tmp_path):
    dead = _dead_pid()
    old = _leftover(tmp_path, "r.csv", dead, age=120)
    ancient = _leftover(tmp_path, "r.csv", os.getpid(), age=2 * 3600, token="d" * 12)
    atomic_write_many({tmp_path / "r.csv": "index\n"})
    assert not old.exists() and not ancient.exists()
    assert _ours(tmp_path) == []
    assert (tmp_path / "r.csv").read_text(encoding="utf-8") == "index\n"


def test_what_may_still_be_written_or_is_not_ours_is_left_alone(tmp_path):
    dead = _dead_pid()
    fresh = _leftover(tmp_path, "r.csv", dead, age=0)  # a writer may have just begun
    running = _leftover(tmp_path, "r.csv", os.getpid(), age=600, token="e" * 12)
    other_file = _leftover(tmp_path, "other.csv", dead, age=7200)
    lookalike = tmp_path / ".r.csv.tmp"
    lookalike.write_text("someone else's", encoding="utf-8")
    link = tmp_path / f".r.csv.gmmtmp-{dead}-{'f' * 12}.tmp"
    link.symlink_to(lookalike)
    os.utime(link, (time.time() - 7200,) * 2, follow_symlinks=False)
    atomic_write(tmp_path / "r.csv", "x")
    for kept in (fresh, running, other_file, lookalike, link):
        assert kept.is_symlink() or kept.exists(), kept.name


def test_removing_leftovers_never_fails(tmp_path):
    remove_stale_temps(tmp_path / "no-such-folder" / "x.csv")  # nothing to scan: no error
    (tmp_path / "x.csv").mkdir()
    remove_stale_temps(tmp_path / "x.csv" / "")  # a folder's own name: nothing of ours
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.csv"]
