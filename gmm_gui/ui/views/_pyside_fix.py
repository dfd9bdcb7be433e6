"""Keep ``None``, ``True`` and ``False`` alive under PySide6 builds that treat them as immortal.

PySide6 6.12 on CPython 3.11 drops one reference to ``None`` on every call of a C++ method that
returns ``void`` (``QPainter.setPen``, ``QTimer.setInterval``, ``QPointF.setX``, ...), and
occasionally one to ``True``: its bindings assume these objects are immortal, as they are from
CPython 3.12 on (PEP 683). Without a fix, a few thousand such calls bring ``None``'s reference
count to zero and the interpreter aborts with "Fatal Python error: none_dealloc: deallocating
None" (measured here: about 180 such calls per repaint of a plot view; the crash reported inside
pyqtgraph's scatter symbol cache is the same bug).

:func:`protect_singletons` emulates PEP 683 on older CPythons by adding 2**40 to the three
objects' reference counts once; it does nothing on CPython 3.12+ or other interpreters.
"""

from __future__ import annotations

import ctypes
import sys

__all__ = ["protect_singletons"]

_BUMP = 1 << 40
_done = False


def protect_singletons() -> None:
    """Make ``None``, ``True`` and ``False`` effectively immortal (CPython < 3.12 only)."""
    global _done
    if _done or sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return
    for obj in (None, True, False):
        refcnt = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is PyObject's first field
        if refcnt.value < _BUMP // 2:
            refcnt.value += _BUMP
    _done = True
