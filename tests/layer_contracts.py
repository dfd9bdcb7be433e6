"""A contract type for import-linter: no import of given submodules of an external package.

import-linter's own ``forbidden`` contract sees an external package as one node ("PySide6"), so
it cannot say "QtCore yes, QtWidgets no". This contract reads the source of every module in
``source_modules`` (with :mod:`ast`, so imports under ``if TYPE_CHECKING:`` and inside functions
count) and reports each import of a module in ``forbidden_modules``, e.g. ``PySide6.QtWidgets``
named as ``import PySide6.QtWidgets``, ``from PySide6.QtWidgets import QWidget`` or
``from PySide6 import QtWidgets``.

Registered in ``pyproject.toml`` (``contract_types``); ``lint-imports`` puts the current
directory on ``sys.path``, so it is found as ``tests.layer_contracts`` from the repository root.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterator
from pathlib import Path

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck
from importlinter.domain.helpers import module_expressions_to_modules


def imported_names(tree: ast.AST) -> Iterator[tuple[str, int]]:
    """Every absolute module name an import in ``tree`` may bind, with its line number.

    ``from a import b`` yields both ``a`` and ``a.b`` (``b`` may be a submodule).
    """
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module, node.lineno
            for alias in node.names:
                yield f"{node.module}.{alias.name}", node.lineno


def forbidden_imports(source: str, forbidden: list[str]) -> list[tuple[str, int]]:
    """The imports in ``source`` (Python text) of a module in ``forbidden`` or inside one.

    Returns
    -------
    list of (module name, line number)
    """
    found = set()
    for name, line in imported_names(ast.parse(source)):
        if any(name == f or name.startswith(f + ".") for f in forbidden):
            found.add((name, line))
    # ``from a.b import c`` is one import of ``a.b``, not also one of ``a.b.c``
    kept = [
        (name, line)
        for name, line in found
        if not any(at == line and name.startswith(other + ".") for other, at in found)
    ]
    return sorted(kept, key=lambda item: (item[1], item[0]))


def module_file(module: str) -> Path:
    """The source file of ``module`` (a module or a package's ``__init__.py``)."""
    root, _, rest = module.partition(".")
    spec = importlib.util.find_spec(root)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(root)
    path = Path(spec.origin).parent.joinpath(*rest.split(".")) if rest else None
    if path is None:
        return Path(spec.origin)
    if path.is_dir():
        return path / "__init__.py"
    return path.with_suffix(".py")


class ForbiddenExternalSubmodulesContract(Contract):
    """Modules in ``source_modules`` import none of ``forbidden_modules`` (any package's)."""

    type_name = "forbidden_external_submodules"

    source_modules = fields.SetField(subfield=fields.ModuleExpressionField())
    forbidden_modules = fields.ListField(subfield=fields.StringField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        """Read every source module's file and list its forbidden imports."""
        forbidden = [str(f) for f in self.forbidden_modules]  # type: ignore[attr-defined]
        modules: set[str] = set()
        for source in module_expressions_to_modules(graph, self.source_modules):  # type: ignore[attr-defined]
            modules.add(source.name)
            modules |= graph.find_descendants(source.name)
        violations = []
        for module in sorted(modules):
            text = module_file(module).read_text(encoding="utf-8")
            for name, line in forbidden_imports(text, forbidden):
                violations.append({"importer": module, "imported": name, "line": line})
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        """One line per forbidden import."""
        for v in check.metadata["violations"]:
            line = f"-   {v['importer']} -> {v['imported']} (l.{v['line']})"
            output.print_error(line, bold=False)
        output.new_line()
