"""The engine's modules import one another one way only: no cycle, lazy imports included."""

from __future__ import annotations

import grimp


def test_no_import_cycle_among_model_modules():
    graph = grimp.build_graph("gmm_gui", include_external_packages=False)
    modules = sorted(m for m in graph.modules if m.startswith("gmm_gui.model."))
    assert "gmm_gui.model.em" in modules and "gmm_gui.model.init" in modules
    cycles = []
    for i, a in enumerate(modules):
        for b in modules[i + 1 :]:
            there = graph.find_shortest_chain(importer=a, imported=b)
            back = graph.find_shortest_chain(importer=b, imported=a)
            if there and back:
                cycles.append(" -> ".join(there + back[1:]))
    assert cycles == []


def test_the_fit_imports_its_initialisation_at_the_top():
    graph = grimp.build_graph("gmm_gui", include_external_packages=False)
    assert graph.direct_import_exists(importer="gmm_gui.model.em", imported="gmm_gui.model.init")
    assert not graph.chain_exists(importer="gmm_gui.model.init", imported="gmm_gui.model.em")
