"""The pipeline's shape: imports point one way, down the pipeline, and YAML is loaded safely."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "generator"

#: Each module's layer, lowest first. A module may import only from lower layers.
LAYERS: list[set[str]] = [
    # what every stage shares: problems and their positions, and what content text may hold
    {"generator", "generator.errors", "generator.theme"},
    {"generator.textfile", "generator.addresses", "generator.tempdirs", "generator.atomicfile"},
    # leaves: plain data and pure helpers
    {
        "generator.model",
        "generator.markdown",
        "generator.urls",
        "generator.check",
        "generator.search",
        "generator.contentfiles",
        "generator.parallel",
    },
    {"generator.yamlfile", "generator.sourcetext"},
    {"generator.load"},
    {"generator.validate"},
    {"generator.config"},
    # authoring tools beside the pipeline: they read content the way the build does
    {"generator.schema"},
    {"generator.scaffold"},
    {"generator.init"},
    {"generator.link"},
    {"generator.editorial"},
    {"generator.feeds"},
    {"generator.render"},
    {"generator.views", "generator.deps"},
    {"generator.write", "generator.workers"},
    {"generator.build"},
    # what the command line adds around a build: the cache between runs, its output
    {"generator.cache", "generator.progress"},
    # the preview server sits on top of the build, which never imports it
    {"generator.serve", "generator.serve.server", "generator.serve.watch"},
    {"generator.serve.preview"},
    {"generator.cli"},
    {"generator.__main__"},
]
RANK = {module: rank for rank, layer in enumerate(LAYERS) for module in layer}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def generator_imports(name: str) -> set[str]:
    """The generator modules that module `name` imports, anywhere in its body."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            # `from generator import build` imports the module generator.build
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {t for t in targets if t in MODULES}
    return found - {name}


def test_every_module_has_a_layer():
    assert set(MODULES) - set(RANK) == set(), "place new modules in LAYERS"
    assert {"generator.build", "generator.link", "generator.yamlfile"} <= set(MODULES)


def test_the_import_parser_sees_imports():
    assert generator_imports("generator.link") >= {"generator.config", "generator.validate", "generator.urls"}
    assert "generator.link" in generator_imports("generator.build")  # also the lazy import
    assert generator_imports("generator.errors") == set()


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_point_down_the_pipeline(name):
    upward = {
        imported
        for imported in generator_imports(name)
        if imported in RANK and name in RANK and RANK[imported] >= RANK[name]
    }
    assert upward == set(), f"{name} imports from its own or a later stage"


def test_only_main_imports_the_cli():
    importers = {name for name in MODULES if "generator.cli" in generator_imports(name)}
    assert importers <= {"generator.__main__"}
    assert "generator.cli" in generator_imports("generator.__main__")


def test_the_build_never_imports_the_preview_server():
    for name in MODULES:
        if name.startswith("generator.serve") or name in ("generator.cli", "generator.__main__"):
            continue
        assert not any(i.startswith("generator.serve") for i in generator_imports(name)), name


UNSAFE_YAML = re.compile(
    r"yaml\.load\(|yaml\.load_all\(|yaml\.full_load|yaml\.unsafe_load|Loader=yaml\.Loader"
    r"|\bFullLoader\b|\bUnsafeLoader\b|\bCLoader\b|\byaml\.Loader\b|\bCFullLoader\b|\bCUnsafeLoader\b"
)


def test_yaml_is_never_loaded_unsafely():
    offenders = [
        f"{path.name}:{number}: {line.strip()}"
        for path in MODULES.values()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if UNSAFE_YAML.search(line)
    ]
    assert offenders == []


def test_only_yamlfile_uses_pyyaml_and_it_uses_a_safe_loader():
    users = sorted(
        name
        for name, path in MODULES.items()
        if re.search(r"^\s*(import|from) yaml\b", path.read_text(encoding="utf-8"), re.MULTILINE)
    )
    assert users == ["generator.yamlfile"]
    source = MODULES["generator.yamlfile"].read_text(encoding="utf-8")
    assert "SafeLoader" in source
    from generator import yamlfile

    assert "Safe" in yamlfile.SafeLoader.__name__


def test_unsafe_pattern_catches_the_unsafe_forms():
    for line in (
        "yaml.load(text)",
        "yaml.load(t, Loader=yaml.Loader)",
        "yaml.FullLoader",
        "yaml.unsafe_load(x)",
    ):
        assert UNSAFE_YAML.search(line), line
    for line in ("yaml.safe_load(text)", "yaml.CSafeLoader", "SafeLoader = yaml.SafeLoader"):
        assert not UNSAFE_YAML.search(line), line
