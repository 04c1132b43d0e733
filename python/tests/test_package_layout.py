"""The per-method package layout: every public name at its old and new location, no import cycles."""
import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import losslens

# Public names as they were imported before the per-method packages (they must keep working).
OLD_LOCATIONS = {
    "losslens": ["HDBSCAN", "DomainSampler", "GradientSketch", "KMeans", "dids", "POLCA", "DictionaryLearning",
                 "LDD", "LossRecorder", "get_num_threads", "linalg", "polca", "project_simplex",
                 "set_num_threads", "show_config", "__version__"],
    "losslens.polca": ["FILTERED", "OUTLIER", "POLCA", "HessianBasis", "TrajectoryClusters", "breakthrough_clusters",
                       "exact_loss_clusters", "homogeneity", "plot_clusters"],
    "losslens.dids": ["DecayFit", "Repartition", "empirical_fisher_diagonal", "fim_impact", "fit_exponential_decay",
                      "potential", "repartition"],
    "losslens.linalg": ["EigshResult", "eigsh"],
}

# Where each class or function lives now; the top-level name is the same object.
NEW_LOCATIONS = {
    "losslens.dictionary_learning": ["DictionaryLearning"],
    "losslens.ldd": ["LDD", "LossRecorder"],
    "losslens.hdbscan": ["HDBSCAN"],
    "losslens.kmeans": ["KMeans"],
    "losslens.polca": ["POLCA"],
    "losslens.dids": ["DomainSampler", "GradientSketch"],
}

SUBPACKAGES = ["dictionary_learning", "dids", "hdbscan", "kmeans", "ldd", "linalg", "polca", "torch", "demo"]


@pytest.mark.parametrize("module, names", sorted(OLD_LOCATIONS.items()))
def test_old_import_locations_keep_working(module, names):
    mod = importlib.import_module(module)
    for name in names:
        assert hasattr(mod, name), f"{module}.{name} is gone"


@pytest.mark.parametrize("module, names", sorted(NEW_LOCATIONS.items()))
def test_new_locations_are_the_top_level_objects(module, names):
    mod = importlib.import_module(module)
    for name in names:
        assert getattr(mod, name) is getattr(losslens, name)
        assert name in mod.__all__


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_every_subpackage_declares_all_and_exports_only_its_own_names(name):
    pytest.importorskip("torch") if name in ("torch", "demo") else None
    mod = importlib.import_module(f"losslens.{name}")
    assert isinstance(mod.__all__, list) and mod.__all__
    for public in mod.__all__:
        obj = getattr(mod, public)
        home = getattr(obj, "__module__", None) or mod.__name__
        assert home.startswith("losslens"), f"losslens.{name} exports {public} from {home}"


def _package_modules():
    """Dotted name -> source path of every module in the installed package."""
    root = Path(losslens.__file__).parent
    modules = {"losslens": root / "__init__.py"}
    for info in pkgutil.walk_packages([str(root)], prefix="losslens."):
        spec = info.module_finder.find_spec(info.name)
        if spec is not None and spec.origin and spec.origin.endswith(".py"):
            modules[info.name] = Path(spec.origin)
    return modules


def _imports(name, path, modules):
    """Package modules that `name` imports anywhere in its source (function-level imports included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            base = (f"{base}.{node.module}" if node.module else base) if node.level else node.module
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        found.update(t for t in targets if t in modules and t != name)
    return found


def test_package_imports_have_no_cycle():
    modules = _package_modules()
    assert "losslens.ldd._dask" in modules and "losslens.polca._basis" in modules
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    # An import of the top-level package from inside it (e.g. `import losslens` in the demo) runs nothing
    # new; the cycles that matter are between the modules below it.
    graph = {name: {t for t in targets if t != "losslens"} for name, targets in graph.items()}
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                cycle = stack[stack.index(target):] + [target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        stack.pop()
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module)


def test_cycle_detector_sees_a_function_level_cycle(tmp_path):
    """The walker reads imports inside functions too (the old _ldd <-> _ldd_dask cycle was of that kind)."""
    source = tmp_path / "a.py"
    source.write_text("def f():\n    from .b import g\n")
    modules = {"pkg.a": source, "pkg.b": tmp_path / "b.py"}
    assert _imports("pkg.a", source, modules) == {"pkg.b"}
