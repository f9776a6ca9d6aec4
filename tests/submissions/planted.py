"""Planted submissions for the grading tests, made from the real chapter views (nothing big is committed).

A planted notebook keeps the view's title cell (language and chapter) and its exercise cells, with each
answer's stub replaced by the planted code; `extra` adds cells before or between them.
"""
from __future__ import annotations

import ast
import re
import copy
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
SLUGS = {"00": "00_start_here", "01": "01_autoencoder_basics", "02": "02_autoencoder_vs_pca",
         "03": "03_autoencoder_family"}
PRELUDE = "import torch\nimport torch.nn.functional as F\nfrom torch import nn\n"


def _defines(source: str) -> list[str]:
    try:
        return [n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]
    except SyntaxError:
        return []


def _replace_def(source: str, name: str, new: str) -> str:
    node = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == name)
    lines = source.splitlines()
    return "\n".join(lines[:node.lineno - 1] + new.strip("\n").splitlines() + lines[node.end_lineno:])


def planted(chapter: str, lang: str, answers: dict[str, str], *, before: list[str] = (),
            after: dict[str, list[str]] | None = None, prelude: str = PRELUDE) -> nbformat.NotebookNode:
    """The chapter's view reduced to its exercise cells, with `answers` (name -> code) in place of the stubs.

    `before`: code cells right after the title; `after`: {answer name: code cells after that exercise's cell}.
    """
    view = nbformat.read(ROOT / "notebooks" / lang / f"{SLUGS[chapter]}.ipynb", as_version=4)
    cells = [copy.deepcopy(view.cells[0])]
    cells += [nbformat.v4.new_code_cell(src) for src in [prelude, *before] if src]
    for cell in view.cells:
        if cell.cell_type != "code":
            continue
        names = _defines(cell.source)
        if not re.search(r"\bex\d+\.check\(", cell.source) or not names:
            continue
        new = copy.deepcopy(cell)
        new.outputs, new.execution_count = [], None
        for n in names:
            if answers.get(n) is not None:
                new.source = _replace_def(new.source, n, answers[n])
        cells.append(new)
        for n in names:
            cells += [nbformat.v4.new_code_cell(src) for src in (after or {}).get(n, [])]
    nb = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(view.metadata))
    nb.metadata.pop("widgets", None)
    return nb


def write(nb: nbformat.NotebookNode, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


GRADING_SEED = 4711       # the tests' held-back grading set moves every seed of the checkers by this much


def shared_release(tmp_path_factory, chapters=("00", "01", "02", "03")) -> Path:
    """One release of `chapters` per test session, shared by the xdist workers (built once, under a lock).

    Its held-back grading set is the sibling folder `<pack>-grading`. Callers that may damage them work on a copy.
    """
    import os

    from filelock import FileLock

    from course_utils.tools.release import GRADING_FILE, RELEASE_FILE, grading_dir_for, release

    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    base = tmp_path_factory.getbasetemp()
    root = (base.parent / f"course-release-{run}") if run else (base / "course-release")
    root.mkdir(parents=True, exist_ok=True)
    pack = root / ("pack-" + "-".join(chapters))
    with FileLock(str(root / "lock")):
        if not ((pack / RELEASE_FILE).exists() and (grading_dir_for(pack) / GRADING_FILE).exists()):
            import shutil

            shutil.rmtree(pack, ignore_errors=True)
            shutil.rmtree(grading_dir_for(pack), ignore_errors=True)
            release(list(chapters), "both", pack, quiet=True, grading_seed=GRADING_SEED)
    return pack
