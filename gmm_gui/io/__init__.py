"""Reading users' data files and writing the app's files. No Qt here.

* :func:`load_dataset`, :func:`inspect_table`, :func:`read_table` (:mod:`.dataset`, reading
  through :mod:`.text` and :mod:`.numpy_files`): text tables, R exports,
  ``.npy`` and ``.npz`` files into a :class:`Dataset`.
* :func:`write_mixture`, :func:`read_mixture`: the ``gmm-gui/mixture`` JSON parameter file
  (documented in ``docs/parameter-format.md``); :func:`check_start_for_data`: whether a mixture
  read from a file can start EM on given data (the command line and the window both call it).
* :func:`write_responsibilities`: the responsibilities CSV.
* :func:`atomic_write`: every file the app writes goes through it.
"""

from gmm_gui.io.atomic import atomic_write, atomic_write_many
from gmm_gui.io.dataset import (
    MISSING_VALUES,
    Dataset,
    Table,
    TableInfo,
    inspect_table,
    load_dataset,
    read_table,
)
from gmm_gui.io.errors import ColumnChoiceRequired, DataError, ParameterFileError
from gmm_gui.io.mixture_file import (
    FitInfo,
    MixtureFileInfo,
    check_start_for_data,
    mixture_from_json,
    mixture_to_json,
    read_mixture,
    write_mixture,
)
from gmm_gui.io.responsibilities import responsibilities_csv, write_responsibilities

__all__ = [
    "MISSING_VALUES",
    "ColumnChoiceRequired",
    "DataError",
    "Dataset",
    "FitInfo",
    "MixtureFileInfo",
    "ParameterFileError",
    "Table",
    "TableInfo",
    "atomic_write",
    "atomic_write_many",
    "check_start_for_data",
    "inspect_table",
    "load_dataset",
    "mixture_from_json",
    "mixture_to_json",
    "read_mixture",
    "read_table",
    "responsibilities_csv",
    "write_mixture",
    "write_responsibilities",
]
