"""Colab-ready views (setup cell, badge) and packaging rules (no upper pins; the CPU-only route)."""
import io
import re
import shutil
import subprocess
import sys
import tomllib
import types
from contextlib import redirect_stdout

import nbformat
import pytest

from course_utils.tools import build
from test_build import HEADER, code, prose  # the same demo source the build's tests use

ROOT = build.ROOT
DEMO = HEADER + prose("hi", "# डेमो") + prose("en", "# Demo") + code("print(1)")


def _run_setup(source: str, tmp_path, monkeypatch, colab: bool):
    """Execute the setup cell's code in a fresh namespace; return (namespace, stdout, subprocess calls)."""
    calls = []
    monkeypatch.chdir(tmp_path)
    if colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
        monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: calls.append(cmd))
        monkeypatch.setattr(sys, "path", list(sys.path))
    ns: dict = {}
    out = io.StringIO()
    with redirect_stdout(out):
        exec(compile(source, "<setup cell>", "exec"), ns)
    return ns, out.getvalue(), calls


def test_setup_cell_does_nothing_outside_colab(tmp_path, monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    for repo in ("", "https://github.com/example/ae2vae"):
        ns, out, _ = _run_setup(build.setup_cell_source(repo, "main"), tmp_path, monkeypatch, colab=False)
        assert set(ns) == {"__builtins__"} and out == "" and list(tmp_path.iterdir()) == []


def test_setup_cell_on_colab_clones_installs_and_imports(tmp_path, monkeypatch):
    ns, out, calls = _run_setup(build.setup_cell_source("https://github.com/example/ae2vae", "main"),
                                tmp_path, monkeypatch, colab=True)
    assert calls[0][:2] == ["git", "clone"] and "https://github.com/example/ae2vae" in calls[0]
    assert calls[1][1:5] == ["-m", "pip", "install", "--quiet"] and calls[1][-1] == "/content/course"
    assert "/content/course" in sys.path and set(ns) == {"__builtins__"}


def test_setup_cell_on_colab_without_address_says_what_to_set(tmp_path, monkeypatch):
    _, out, calls = _run_setup(build.setup_cell_source("", "main"), tmp_path, monkeypatch, colab=True)
    assert calls == [] and "[tool.course] repository" in out and "भरें" in out


def test_every_view_starts_with_the_setup_cell():
    views = sorted((ROOT / "notebooks").glob("[he][in]/*.ipynb")) + sorted((ROOT / "solutions").glob("[he][in]/*.ipynb"))
    assert views
    for path in views:
        nb = nbformat.read(path, as_version=4)
        first = next(c for c in nb.cells if c.cell_type == "code")
        assert first.source.startswith(build.SETUP_MARK), f"{path.name}: first code cell is not the setup cell"
        assert first.get("outputs") == [], f"{path.name}: the setup cell printed something off Colab"


def _demo_repo(tmp_path, repository: str):
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    text = (tmp_path / "pyproject.toml").read_text(encoding="utf-8")
    text = re.sub(r'^repository = ".*"$', f'repository = "{repository}"', text, flags=re.M)
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    src = tmp_path / "notebooks" / "source" / "01_demo.md"
    src.parent.mkdir(parents=True)
    src.write_text(DEMO, encoding="utf-8")
    return src


@pytest.mark.parametrize("repository", ["https://github.com/example/ae2vae", ""])
def test_badge_appears_only_when_the_address_is_set(tmp_path, repository):
    src = _demo_repo(tmp_path, repository)
    build.build_one(src)
    for lang in build.LANGS:
        nb = nbformat.read(build.view_path(src, lang), as_version=4)
        first = nb.cells[0].source
        if repository:
            assert first.startswith("[![Open In Colab]")
            assert (f"https://colab.research.google.com/github/example/ae2vae/blob/main/notebooks/{lang}/01_demo.ipynb"
                    in first)
            assert "'https://github.com/example/ae2vae'" in nb.cells[2].source   # the setup cell clones from it
        else:
            assert "Colab" not in first and first.startswith("# ")
    assert build.check(tmp_path) == []


def test_a_malformed_address_is_refused(tmp_path):
    src = _demo_repo(tmp_path, "git@github.com:example/ae2vae")
    with pytest.raises(build.BuildError, match="https://github.com/OWNER/REPO"):
        build.read_source(src)
    assert not list(tmp_path.rglob("*.ipynb"))


def test_dependencies_never_cap_torch_and_the_tested_pair_is_pinned_where_installed():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for dep in project["dependencies"]:
        assert not re.search(r"(<|==|~=|!=)", dep), f"dependency {dep!r} has an upper pin: Colab's torch could be replaced"
    names = [re.split(r"[<>=!~\[ ]", d)[0].lower() for d in project["dependencies"]]
    assert "torch" in names and "torchvision" in names
    makefile = (ROOT / "Makefile").read_text()
    env = (ROOT / "environment.yml").read_text()
    for pin in ("torch==2.14.1", "torchvision==0.29.1"):
        assert pin in makefile and pin in env


def test_cpu_variable_reaches_the_pip_command():
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    cpu_index = re.search(r"^CPU_INDEX := (\S+)$", (ROOT / "Makefile").read_text(), flags=re.M).group(1)
    assert cpu_index == "https://download.pytorch.org/whl/cpu"

    def dry_run(*extra):
        out = subprocess.run(["make", "-n", "-B", "-C", str(ROOT), ".venv/.installed", *extra],
                             capture_output=True, text=True, check=True).stdout
        return next(line for line in out.splitlines() if "torch==" in line)

    assert f"--index-url {cpu_index}" in dry_run("CPU=1")
    assert "--index-url" not in dry_run()
    assert cpu_index in (ROOT / "environment.yml").read_text()      # the matching line for conda
