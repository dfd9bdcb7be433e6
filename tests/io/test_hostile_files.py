"""Hostile files (issue #12): never hang, never run out of memory, always say what happened.

Each test makes its hostile file itself in ``tmp_path``. Cases that could hang or eat memory run
in a child process under a timeout and an address-space limit (see ``hostile.py``).
"""

from __future__ import annotations

import codecs
import io
import os
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hostile import gmm_fit_in_child, load_in_child, one_error_line, run_child
from numpy.lib import format as npformat

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


# ------------------------------------------------------------------------- 3. unbounded memory

_GIB = 1024**3


def _npy_header_only(path: Path, shape: tuple[int, ...], descr: str = "<f8") -> Path:
    """An .npy file whose header claims ``shape`` and which holds no data after it."""
    with open(path, "wb") as handle:
        npformat.write_array_header_1_0(
            handle, {"descr": descr, "fortran_order": False, "shape": shape}
        )
    return path


def test_an_npy_header_claiming_60_gib_is_refused_from_the_header(tmp_path):
    path = _npy_header_only(tmp_path / "huge.npy", (60 * _GIB // 8,))
    assert path.stat().st_size < 200
    message = load_in_child(path)
    assert message.startswith(f"{path}: its header claims an array of shape (8053063680,) float64")
    assert "(60.0 GiB)" in message and "gmm-gui reads at most 4.0 GiB" in message


def test_an_npy_header_claiming_more_than_the_file_holds_is_truncated(tmp_path):
    path = _npy_header_only(tmp_path / "short.npy", (1000, 2))
    with pytest.raises(DataError) as info:
        load_dataset(path)
    assert str(info.value) == (
        f"{path}: is truncated: its header claims 15.6 KiB of data (shape (1000, 2) float64) "
        "but the file holds 0 bytes"
    )


def _zip_bomb(path: Path, n_bytes: int, name: str = "X.npy") -> Path:
    """A deflated .npz member of ``n_bytes`` zeros behind a valid .npy header (small on disk)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open(name, "w", force_zip64=True) as member:
            npformat.write_array_header_1_0(
                member, {"descr": "<f8", "fortran_order": False, "shape": (n_bytes // 8,)}
            )
            zeros = bytes(1024 * 1024)
            for _ in range(n_bytes // len(zeros)):
                member.write(zeros)
    return path


def test_an_npz_member_expanding_past_the_memory_share_is_refused_before_expanding(tmp_path):
    # 1 GiB of zeros in a 1 MiB file; the child has 2 GiB of address space, so 1 GiB is more
    # than half of what it has left.
    path = _zip_bomb(tmp_path / "bomb.npz", _GIB)
    assert path.stat().st_size < 2 * 1024 * 1024
    message = load_in_child(path)
    assert message.startswith(f"{path}: array 'X' would expand to 1.0 GiB from ")
    assert "times; that is more than 50% of the memory available" in message


def test_an_npz_member_beyond_the_absolute_cap_is_refused(tmp_path, monkeypatch):
    import gmm_gui.io.files as files

    monkeypatch.setattr(files, "MAX_ARRAY_BYTES", 1024 * 1024)
    path = _zip_bomb(tmp_path / "big.npz", 2 * 1024 * 1024)
    with pytest.raises(DataError) as info:
        load_dataset(path)
    assert str(info.value).startswith(f"{path}: array 'X' would expand to 2.0 MiB from ")
    assert str(info.value).endswith("; gmm-gui reads at most 1.0 MiB")


def _set_declared_size(path: Path, declared: int) -> None:
    """Make the archive's central directory declare ``declared`` bytes for its only member."""
    raw = bytearray(path.read_bytes())
    central = raw.rindex(b"PK\x01\x02")
    struct.pack_into("<I", raw, central + 24, declared)  # uncompressed size
    local = raw.index(b"PK\x03\x04")
    struct.pack_into("<I", raw, local + 22, declared)
    path.write_bytes(bytes(raw))


def test_an_npz_member_that_expands_past_its_declared_size_is_stopped(tmp_path):
    path = tmp_path / "liar.npz"
    np.savez_compressed(path, X=np.zeros((64 * 1024 * 1024 // 8,)))  # 64 MiB of zeros
    _set_declared_size(path, 4096)
    message = load_in_child(path, memory_cap=512 * 1024 * 1024)
    assert message.startswith(f"{path}: ")
    assert "X" in message


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_an_npz_member_compressed_otherwise_than_numpy_does_is_refused(tmp_path, method):
    path = tmp_path / "other.npz"
    buffer = io.BytesIO()
    np.save(buffer, np.ones((3, 2)))
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        archive.writestr("X.npy", buffer.getvalue())
    with pytest.raises(DataError) as info:
        load_dataset(path)
    name = "bzip2" if method == zipfile.ZIP_BZIP2 else "LZMA"
    assert str(info.value) == (
        f"{path}: array 'X' is compressed with {name}; gmm-gui reads .npz members that are "
        "stored or deflated, as NumPy writes them"
    )


def test_a_2_gib_sparse_file_is_found_binary_from_its_first_bytes(tmp_path):
    path = tmp_path / "sparse.csv"
    with open(path, "wb") as handle:
        handle.truncate(2 * _GIB)
    assert load_in_child(path) == f"{path}: binary data, not a text table, .npy or .npz file"


def test_text_followed_by_a_hole_is_found_binary_while_streaming(tmp_path):
    """3 MiB of a valid table, then 600 MiB of NUL bytes: refused at the first NUL chunk."""
    path = tmp_path / "holed.csv"
    line = b"1.5,2.5\n"
    with open(path, "wb") as handle:
        handle.write(b"x,y\n" + line * (3 * 1024 * 1024 // len(line)))
        handle.truncate(600 * 1024 * 1024)
    message = load_in_child(path)
    assert message == f"{path}: binary data, not a text table, .npy or .npz file"


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "wb") as handle:
        handle.truncate(5 * _GIB)
    assert load_in_child(path) == f"{path}: is 5.0 GiB; gmm-gui reads files of up to 4.0 GiB"


def test_memory_error_while_loading_becomes_a_sentence(tmp_path, monkeypatch):
    import gmm_gui.io.dataset as dataset

    def out_of_memory(*args, **kwargs):
        raise MemoryError

    path = _csv(tmp_path / "d.csv")
    monkeypatch.setattr(dataset, "parse_text", out_of_memory)
    with pytest.raises(DataError) as info:
        load_dataset(path)
    size = path.stat().st_size
    assert str(info.value) == f"{path}: not enough memory to read this file ({size / 1024:.1f} KiB)"


def test_memory_error_while_reading_a_parameter_file_becomes_a_sentence(tmp_path, monkeypatch):
    import gmm_gui.io.mixture_file as mixture_file

    def out_of_memory(*args, **kwargs):
        raise MemoryError

    path = _params(tmp_path / "p.json")
    monkeypatch.setattr(mixture_file, "mixture_from_json", out_of_memory)
    with pytest.raises(ParameterFileError, match=f"^{path}: not enough memory to read this file"):
        read_mixture(path)


# ------------------------------------------------------------------------- 4. other exceptions


def _npz(path: Path, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    buffer = io.BytesIO()
    np.save(buffer, np.linspace(0.0, 1.0, 2000).reshape(1000, 2))
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        archive.writestr("X.npy", buffer.getvalue())
    return path


def _patch_member(path: Path, edit) -> Path:
    """Apply ``edit(raw, local_header_offset, central_header_offset)`` to an archive's bytes."""
    raw = bytearray(path.read_bytes())
    edit(raw, raw.index(b"PK\x03\x04"), raw.rindex(b"PK\x01\x02"))
    path.write_bytes(bytes(raw))
    return path


def _corrupt_data(raw, local, central):
    start = local + 30 + struct.unpack_from("<H", raw, local + 26)[0]
    for i in range(start + 20, start + 60):
        raw[i] ^= 0x5A


def _truncate_data(raw, local, central):
    start = local + 30 + struct.unpack_from("<H", raw, local + 26)[0]
    del raw[start + 50 : central]


def _unknown_method(raw, local, central):
    struct.pack_into("<H", raw, local + 8, 99)
    struct.pack_into("<H", raw, central + 10, 99)


def _encrypted(raw, local, central):
    struct.pack_into("<H", raw, local + 6, 1)
    struct.pack_into("<H", raw, central + 8, 1)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_corrupt_data, "not a valid .npz file (array 'X': "),
        (_truncate_data, "not a valid .npz file"),
        (_unknown_method, "array 'X' is compressed with method 99"),
        (_encrypted, "array 'X' is encrypted"),
    ],
    ids=["corrupt-deflate", "truncated", "unknown-method", "encrypted"],
)
def test_a_damaged_npz_is_a_data_error_naming_the_file(tmp_path, edit, expected):
    path = _patch_member(_npz(tmp_path / "bad.npz"), edit)
    with pytest.raises(DataError) as info:
        load_dataset(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and expected in message, message
    assert "\n" not in message


@pytest.mark.parametrize("compression", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_a_corrupt_bzip2_or_lzma_member_is_a_data_error(tmp_path, compression):
    path = _patch_member(_npz(tmp_path / "bad.npz", compression), _corrupt_data)
    with pytest.raises(DataError, match=f"^{path}: array 'X' is compressed with"):
        load_dataset(path)


def test_a_loop_of_symbolic_links_is_a_sentence(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.symlink_to(b)
    b.symlink_to(a)
    with pytest.raises(DataError) as info:
        load_dataset(a)
    assert str(info.value) == f"{a}: cannot be read (a loop of symbolic links)"
    with pytest.raises(ParameterFileError) as info:
        read_mixture(a)
    assert str(info.value) == f"{a}: cannot be read (a loop of symbolic links)"


@pytest.mark.parametrize("role", ["data", "init", "out"])
def test_gmm_fit_names_the_file_for_a_loop_of_links(tmp_path, role):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    data = _csv(tmp_path / "d.csv")
    argv = {
        "data": [loop, "-k", 2],
        "init": [data, "--init", loop],
        "out": [data, "-k", 2, "--out", loop],
    }[role]
    line = one_error_line(gmm_fit_in_child(*argv))
    assert str(loop) in line


def test_gmm_fit_names_the_file_for_a_damaged_npz(tmp_path):
    path = _patch_member(_npz(tmp_path / "bad.npz"), _corrupt_data)
    line = one_error_line(gmm_fit_in_child(path, "-k", 2))
    assert line.startswith(f"gmm-fit: error: {path}: not a valid .npz file")


def test_utf16_text_with_a_broken_byte_is_a_data_error(tmp_path):
    path = tmp_path / "u16.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + "x,y\n1,2\n3,4\n".encode("utf-16-le") + b"\x00\xd8")
    with pytest.raises(DataError, match=f"^{path}: not readable as text"):
        load_dataset(path)


def test_a_file_that_holds_more_than_its_size_is_read_no_further(tmp_path, monkeypatch):
    """A system file reporting size 0 (or a file still growing) is not read without end."""
    import gmm_gui.io.files as files

    path = _csv(tmp_path / "growing.csv", n=2000)
    real_fstat = os.fstat

    def fstat_says_empty(fd):
        info = real_fstat(fd)
        return os.stat_result((*info[:6], 0, *info[7:]))  # st_size 0, like /proc files

    monkeypatch.setattr(files, "MAX_GROWTH_BYTES", 1024)
    monkeypatch.setattr(files, "regular_file_size", lambda *args, **kwargs: 0)
    monkeypatch.setattr(files.os, "fstat", fstat_says_empty)
    with pytest.raises(DataError) as info:
        load_dataset(path)
    assert str(info.value) == (
        f"{path}: grew while it was read (it was 0 bytes; more than 1.0 KiB came); "
        "gmm-gui reads a file that stays as it is"
    )


def test_a_proc_file_is_read_as_the_small_text_it_is():
    status = Path("/proc/self/status")
    if not status.is_file():
        pytest.skip("no /proc")
    with pytest.raises(DataError, match="^/proc/self/status: "):
        load_dataset(status)  # read (size 0 reported), then refused as a table, in words


@pytest.mark.parametrize(
    ("array", "columns", "expected_columns"),
    [
        (np.asfortranarray(np.arange(12.0).reshape(4, 3)), ["column 1", "column 3"], [0, 2]),
        (np.arange(10, dtype=">f4"), None, None),
        (np.arange(6, dtype="<i2").reshape(3, 2), None, None),
        (np.array([(1.0, b"ab"), (2.0, b"cd")], dtype=[("x", "<f8"), ("tag", "S2")]),
         ["x"], None),
    ],
    ids=["fortran", "big-endian", "int16", "structured"],
)
@pytest.mark.parametrize("container", ["npy", "npz"])
def test_arrays_read_without_np_load_equal_what_np_load_reads(
    tmp_path, array, columns, expected_columns, container
):
    path = tmp_path / f"a.{container}"
    if container == "npy":
        np.save(path, array)
        expected = np.load(path, allow_pickle=False)
    else:
        np.savez_compressed(path, X=array)
        with np.load(path, allow_pickle=False) as archive:
            expected = archive["X"]
    data = load_dataset(path, columns)
    if array.dtype.names:
        np.testing.assert_array_equal(data.values[:, 0], expected["x"])
        assert list(data.labels["tag"]) == ["ab", "cd"]
    else:
        expected = expected.reshape(len(expected), -1)
        if expected_columns is not None:
            expected = expected[:, expected_columns]
        np.testing.assert_array_equal(data.values, expected)
