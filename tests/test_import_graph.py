"""The import graph of admin_app has no cycle between modules, imports inside functions
included (import-linter's contracts in setup.cfg state the layers; this states the rest)."""

import grimp


def _cycles(graph) -> list[tuple[str, str]]:
    """Each import `a -> b` where b leads back to a: the edges that close a cycle."""
    return sorted({(module, imported) for module in graph.modules
                   for imported in graph.find_modules_directly_imported_by(module)
                   if graph.chain_exists(importer=imported, imported=module)})


def test_no_module_imports_itself_back():
    graph = grimp.build_graph("admin_app")
    assert len(graph.modules) > 50
    assert _cycles(graph) == []


def test_a_cycle_is_found():
    """The check itself: two modules importing each other are reported."""
    graph = grimp.ImportGraph()
    for module in ("a", "a.one", "a.two", "a.three"):
        graph.add_module(module)
    graph.add_import(importer="a.one", imported="a.two")
    graph.add_import(importer="a.two", imported="a.one")
    graph.add_import(importer="a.two", imported="a.three")
    assert _cycles(graph) == [("a.one", "a.two"), ("a.two", "a.one")]
