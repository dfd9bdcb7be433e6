"""Fuzzing the readers (issue #12): whatever the bytes, only the documented error comes out.

``load_dataset`` raises :class:`DataError` (a ``ValueError``) and ``read_mixture``
:class:`ParameterFileError` (a ``DataError``), one line naming the file; nothing else escapes.
"""

from __future__ import annotations

import codecs
import io
import json
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from hostile import run_child
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.lib import format as npformat

from gmm_gui.io import DataError, ParameterFileError, load_dataset, read_mixture

_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

_PREFIXES = [b"", b"\x93NUMPY", b"\x93NUMPY\x01\x00", b"PK\x03\x04", b"PK\x05\x06",
             codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"x,y\n"]

_PIECES = ["1", "2.5", "-3e2", "0", "NA", "", "nan", "inf", "-Infinity", "iNf", "1_000",
           "\u0663", "1,250", "abc", "x", "y", '"', '""', '"a,b"', '"l1\nl2"', "#", " ", "\t",
           ";", ",", "\n", "\r\n", "\r", "\x00", "é", "\ufeff", "1e999", "9" * 400]


def _near_csv() -> st.SearchStrategy[str]:
    cell = st.sampled_from(_PIECES)
    row = st.lists(cell, min_size=0, max_size=6).map(lambda cells: ",".join(cells))
    rows = st.lists(row, min_size=0, max_size=12)
    sep = st.sampled_from([",", ";", "\t", " ", "  "])
    return st.builds(
        lambda rs, s, noise: "\n".join(r.replace(",", s) for r in rs) + noise,
        rows, sep, st.text(max_size=20),
    )


def _check_data_error(path, exc: BaseException) -> None:
    assert isinstance(exc, DataError), f"{type(exc).__name__}: {exc}"
    message = str(exc)
    assert message.startswith(f"{path}: ") or message.startswith(f"{path}:"), message
    assert "\n" not in message and "\r" not in message  # one line


def _load(path) -> None:
    try:
        load_dataset(path, ["column 1"]) if path.stat().st_size % 2 else load_dataset(path)
    except BaseException as exc:  # noqa: BLE001 - checking exactly what comes out
        _check_data_error(path, exc)


@_SETTINGS
@given(prefix=st.sampled_from(_PREFIXES), body=st.binary(max_size=3000))
def test_random_bytes_give_only_data_errors(tmp_path_factory, prefix, body):
    path = tmp_path_factory.mktemp("fuzz") / "data.bin"
    path.write_bytes(prefix + body)
    _load(path)


@_SETTINGS
@given(text=_near_csv(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
def test_near_csv_text_gives_only_data_errors(tmp_path_factory, text, encoding):
    path = tmp_path_factory.mktemp("fuzz") / "data.csv"
    path.write_bytes(text.encode(encoding, errors="replace"))
    _load(path)


@st.composite
def _npy_bytes(draw) -> bytes:
    shape = tuple(draw(st.lists(st.integers(-2, 10**12), min_size=0, max_size=3)))
    descr = draw(st.sampled_from(["<f8", "<i4", "|u1", "<c16", "|O", "|S3", "<U2", "<f2",
                                  [("a", "<f8"), ("b", "|S2")], "bogus"]))
    header = {"descr": descr, "fortran_order": draw(st.booleans()), "shape": shape}
    buffer = io.BytesIO()
    try:
        npformat.write_array_header_1_0(buffer, header)
    except (ValueError, TypeError):
        buffer = io.BytesIO(b"\x93NUMPY\x01\x00" + repr(header).encode()[:60])
    return buffer.getvalue() + draw(st.binary(max_size=200))


@_SETTINGS
@given(raw=_npy_bytes(), as_npz=st.booleans(), method=st.sampled_from([0, 8, 12, 14]))
def fuzz_npy_and_npz(raw, as_npz, method):
    """Run by the test below in a child process under a memory cap (headers claim terabytes)."""
    path = Path(tempfile.mkdtemp()) / "data.npy"
    if as_npz:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=method) as archive:
            archive.writestr("X.npy", raw)
            archive.writestr("junk", raw[:10])
        raw = buffer.getvalue()
    path.write_bytes(raw)
    try:
        _load(path)
    finally:
        path.unlink()
        path.parent.rmdir()


def test_npy_and_npz_with_hostile_headers_give_only_data_errors():
    done = run_child(
        f"""
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_fuzz import fuzz_npy_and_npz
        fuzz_npy_and_npz()
        print("ok")
        """
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stdout + done.stderr


_VALID = {
    "format": "gmm-gui/mixture", "version": 1, "covariance_type": "full", "columns": ["x", "y"],
    "weights": [0.5, 0.5], "means": [[0.0, 0.0], [1.0, 1.0]],
    "covariances": [[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]],
}

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)


@st.composite
def _mutated_document(draw) -> str:
    doc = json.loads(json.dumps(_VALID))
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from([*doc.keys(), "fit"]))
        doc[key] = draw(_json_values)
    return json.dumps(doc)


def _read(path) -> None:
    try:
        read_mixture(path, n_features=2)
    except BaseException as exc:  # noqa: BLE001 - checking exactly what comes out
        assert isinstance(exc, ParameterFileError), f"{type(exc).__name__}: {exc}"
        assert str(exc).startswith(f"{path}: "), str(exc)


@_SETTINGS
@given(raw=st.one_of(st.binary(max_size=2000),
                     st.text(max_size=500).map(str.encode),
                     _json_values.map(lambda v: json.dumps(v).encode()),
                     _mutated_document().map(str.encode)))
def test_random_parameter_files_give_only_parameter_file_errors(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("fuzz") / "params.json"
    path.write_bytes(raw)
    _read(path)


def test_the_fuzzed_readers_still_read_a_valid_file(tmp_path):
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(_VALID), encoding="utf-8")
    mixture, _ = read_mixture(path, n_features=2)
    np.testing.assert_array_equal(mixture.weights, [0.5, 0.5])
