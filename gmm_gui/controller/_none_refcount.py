"""Work around a reference-count bug of PySide6 6.12 on Python 3.11 and older.

With PySide6 6.12.0 every call of a Qt method that returns nothing (``setText``, ``setInterval``,
``blockSignals``'s sibling ``QSignalBlocker``, ...) gives back ``None`` without taking a reference
to it, so each call drops one reference to ``None``; emitting a ``Signal(bool)`` does the same to
``True`` or ``False``. ``None`` starts with a few tens of thousands of references; a window that
plays EM for a minute makes more calls than that, and the interpreter then aborts with ``Fatal
Python error: none_dealloc: deallocating None`` (or ``bool_dealloc``). Measured here: 1,000 calls
of ``QLabel.setText`` lower ``sys.getrefcount(None)`` by exactly 1,000, and 1,000 emits of a
``Signal(bool)`` with one slot lower ``sys.getrefcount(True)`` by about 600. Other objects passed
through signals (ints, strings, arrays, snapshots) were measured unaffected.

Python 3.12 made these singletons immortal (PEP 683), which hides the bug. On older CPython this
module does the same by hand: it adds 2**40 to the reference counts of ``None``, ``True`` and
``False`` once, so they can never reach zero. Nothing else changes: these objects are never
freed in a running interpreter anyway.
"""

from __future__ import annotations

import ctypes
import sys

__all__ = ["protect_none"]

_BOOST = 1 << 40
_done = False


def protect_none() -> bool:
    """Make None, True and False immortal on CPython < 3.12 (once); return True if applied."""
    global _done
    if _done or sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False
    # ob_refcnt is the first field of every PyObject (a Py_ssize_t) in CPython's release builds.
    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += _BOOST
    _done = True
    return True
