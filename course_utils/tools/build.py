"""Build: one bilingual source per chapter -> a Hindi view and an English view.

A source (``notebooks/source/NN_slug.md``, jupytext MyST) holds every prose cell
twice, a ``lang-hi`` cell followed by its ``lang-en`` twin; code cells carry no
language tag. The build checks that, executes the source once with nbclient and
writes ``notebooks/hi/NN_slug.ipynb`` and ``notebooks/en/NN_slug.ipynb``: the
same code cells with the same outputs, each with the prose of one language.
It records every notebook's execution time in ``build_times.json``.

    python -m course_utils.tools.build            # build every source
    python -m course_utils.tools.build 01 03      # build the sources whose name contains 01 or 03
    python -m course_utils.tools.build --check    # fail if a view is stale, missing or broken (no execution)
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import jupytext
import nbformat
from nbformat import NotebookNode

from .style import check_pair, check_style

ROOT = Path(__file__).resolve().parents[2]
TREES = {"notebooks": 60.0, "solutions": 45.0}   # folder -> time budget per view, seconds
LANGS = ("hi", "en")
TIMINGS = ROOT / "build_times.json"


class BuildError(Exception):
    """A source that cannot be built, with what is wrong and where."""


def sources(names: list[str] | None = None, root: Path | None = None) -> list[Path]:
    """All chapter and solution sources, or those whose path (from the repo root) contains one of `names`.

    "01" picks chapter 01 and its solution; "solutions/" or "solutions/source/01" only solutions.
    """
    root = root or ROOT
    found = sorted(p for tree in TREES for p in (root / tree / "source").glob("*.md"))
    return [p for p in found if not names or any(n in p.relative_to(root).as_posix() for n in names)]


def view_path(src: Path, lang: str) -> Path:
    """Where the `lang` view of source `src` lives: ../<lang>/<stem>.ipynb."""
    return src.parent.parent / lang / f"{src.stem}.ipynb"


def lang_of(cell: NotebookNode) -> str | None:
    """'hi' or 'en' for a tagged prose cell, else None."""
    tags = [t for t in cell.get("metadata", {}).get("tags", []) if t in ("lang-hi", "lang-en")]
    return tags[0][5:] if len(tags) == 1 else None


def _structure(md: str) -> dict[str, list]:
    """What a prose cell and its translation must share: headings, anchors, formulas, tables, links, images."""
    text = re.sub(r"```.*?```", "", md, flags=re.S)
    links = [re.sub(r"/(hi|en)/", "/LANG/", t) for t in re.findall(r"\]\(([^)\s]+)\)", text)]
    return {"heading levels": [len(m) for m in re.findall(r"^(#+)\s", text, flags=re.M)],
            "anchors": re.findall(r"<a (?:id|name)=\"([^\"]+)\"", text),
            "display formulas": [text.count("$$")],
            "table rows": [len(re.findall(r"^\s*\|", text, flags=re.M))],
            "links": links, "images": [text.count("![")]}


def validate(nb: NotebookNode, name: str) -> None:
    """Refuse a source whose prose is untagged, unpaired, structurally different or mistranslated."""
    errors: list[str] = []
    cells = nb.cells
    i = 0
    while i < len(cells):
        cell = cells[i]
        first = cell.source.strip().splitlines()[0][:60] if cell.source.strip() else "(empty)"
        if cell.cell_type == "code":
            if cell.get("metadata", {}).get("tags") and any(t.startswith("lang-") for t in cell.metadata.tags):
                errors.append(f"cell {i} is code but has a language tag: {first!r}")
            i += 1
            continue
        lang = lang_of(cell)
        control = re.search(r"[\x07\x08\t\x0b\x0c\r]", cell.source)
        if control:
            before = cell.source[max(0, control.start() - 20):control.start()]
            errors.append(f"cell {i} holds the control character {control.group()!r} after {before!r}: a LaTeX "
                          "command probably lost its backslash to a Python escape (\\t in \\times, \\f in "
                          "\\frac, \\b in \\beta); write the backslash twice or use a raw string")
        if lang is None:
            errors.append(f"cell {i} is prose without exactly one tag lang-hi or lang-en: {first!r}")
            i += 1
            continue
        twin = cells[i + 1] if i + 1 < len(cells) else None
        if lang != "hi" or twin is None or twin.cell_type != "markdown" or lang_of(twin) != "en":
            errors.append(f"cell {i} ({lang}) is not a lang-hi cell followed by its lang-en twin: {first!r}")
            i += 1
            continue
        a, b = _structure(cell.source), _structure(twin.source)
        for key in a:
            if a[key] != b[key]:
                errors.append(f"cells {i}/{i + 1} differ in {key}: hi {a[key]} vs en {b[key]} ({first!r})")
        for link in re.findall(r"\]\(([^)\s]+)\)", cell.source):
            if "/en/" in link:
                errors.append(f"cell {i}: Hindi prose links to an English view: {link}")
        for link in re.findall(r"\]\(([^)\s]+)\)", twin.source):
            if "/hi/" in link:
                errors.append(f"cell {i + 1}: English prose links to a Hindi view: {link}")
        errors += [f"cell {i} (hi): {p}" for p in check_pair(cell.source, twin.source)]
        errors += [f"cell {i} (hi): {p}" for p in check_style(cell.source, twin.source)]  # Hindi style sheet
        i += 2
    if errors:
        raise BuildError(f"{name}: {len(errors)} problem(s):\n  " + "\n  ".join(errors))


COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
SETUP_MARK = "# Colab setup"


def course_settings(root: Path | None = None) -> dict[str, str]:
    """The [tool.course] table of pyproject.toml: the public `repository` address and its `branch`."""
    import tomllib

    path = (root or ROOT) / "pyproject.toml"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    table = tomllib.loads(text).get("tool", {}).get("course", {})
    repo, branch = str(table.get("repository", "")).strip().rstrip("/"), str(table.get("branch", "main"))
    if repo and not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", repo):
        raise BuildError(f"{path}: [tool.course] repository must look like https://github.com/OWNER/REPO "
                         f"(Colab opens notebooks from GitHub), got {repo!r}; or leave it empty")
    return {"repository": repo, "branch": branch}


def setup_cell_source(repo: str, branch: str) -> str:
    """Every view's first code cell: on Colab it installs the course; anywhere else it does nothing at all."""
    return f"""{SETUP_MARK}: on Colab this installs the course; anywhere else it does nothing.
# Colab पर यह cell course install करता है; बाकी हर जगह यह कुछ नहीं करता।
if "google.colab" in __import__("sys").modules:
    def _colab_setup(repo={repo!r}, branch={branch!r}, folder="/content/course"):
        import os, subprocess, sys
        if not repo:
            print("This copy does not know the course's address: set [tool.course] repository in "
                  "pyproject.toml and rebuild, or run: !git clone <address> /content/course && "
                  "pip install -e /content/course\\n"
                  "इस copy में course का address नहीं है: pyproject.toml में [tool.course] repository "
                  "भरें और build दोबारा चलाएँ, या खुद clone करके pip install -e /content/course चलाएँ।")
            return
        if not os.path.isdir(folder):
            subprocess.run(["git", "clone", "--depth", "1", "--branch", branch, repo, folder], check=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-e", folder], check=True)
        if folder not in sys.path:
            sys.path.insert(0, folder)  # usable now, without restarting the runtime
        # Colab is online: the data loader downloads MNIST into torchvision's cache on first use.
    _colab_setup()
    del _colab_setup"""


def add_setup_cell(nb: NotebookNode, root: Path | None = None) -> None:
    """Insert the Colab setup cell before the first code cell of a source (once)."""
    settings = course_settings(root)
    cell = nbformat.v4.new_code_cell(setup_cell_source(settings["repository"], settings["branch"]))
    first = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), len(nb.cells))
    if first < len(nb.cells) and nb.cells[first].source.startswith(SETUP_MARK):
        return
    nb.cells.insert(first, cell)


def colab_badge(view_rel: str, root: Path | None = None) -> str | None:
    """Markdown of the "Open in Colab" badge of the view at `view_rel`, or None while no address is set."""
    settings = course_settings(root)
    if not settings["repository"]:
        return None
    slug = settings["repository"].removeprefix("https://github.com/")
    url = f"https://colab.research.google.com/github/{slug}/blob/{settings['branch']}/{view_rel}"
    return f"[![Open In Colab]({COLAB_BADGE})]({url})"


def read_source(src: Path, root: Path | None = None) -> NotebookNode:
    """Read and validate a source; give every cell a stable id."""
    if not src.is_file():
        raise BuildError(f"{src}: no such source file")
    try:
        nb = jupytext.read(src, fmt="md:myst")
    except Exception as err:
        raise BuildError(f"{src}: not a readable jupytext MyST file: {err}") from err
    validate(nb, src.name)
    add_setup_cell(nb, root or src.resolve().parents[2])  # the repo holding notebooks/source/
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i:03d}"
    nb.metadata.pop("jupytext", None)
    return nb


def split(nb: NotebookNode, lang: str, view_rel: str | None = None, root: Path | None = None) -> NotebookNode:
    """The `lang` view: every code cell, and the prose cells tagged lang-<lang>; a Colab badge on top if known."""
    view = nbformat.v4.new_notebook(metadata=dict(nb.metadata))
    view.metadata["course"] = {"language": lang}
    # ipykernel's python3 kernelspec, as JupyterLab writes it when it opens the view (language_info is
    # already the kernel's, from the run): any difference marks an untouched view modified, and autosave rewrites it.
    view.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    view.cells = [c for c in nb.cells if c.cell_type == "code" or lang_of(c) == lang]
    badge = colab_badge(view_rel, root) if view_rel else None
    if badge:
        view.cells.insert(0, nbformat.v4.new_markdown_cell(badge, id="colab-badge"))
    return view


def execute(nb: NotebookNode, cwd: Path, timeout: int = 900) -> float:
    """Run every cell of `nb` in a fresh kernel, in place; return the wall time in seconds."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(cwd)}})
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as err:
        raise BuildError(f"a cell failed:\n{str(err)[-3000:]}") from err
    return time.perf_counter() - start


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file, so a failure never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _rel(path: Path, root: Path | None = None) -> str:
    """`path` relative to the repository root, with forward slashes (as GitHub and Colab write it)."""
    return path.resolve().relative_to((root or ROOT).resolve()).as_posix()


def build_one(src: Path) -> float:
    """Execute one source and write both views; return its execution time."""
    root = src.resolve().parents[2]
    nb = read_source(src, root)
    seconds = execute(nb, src.parent)
    for lang in LANGS:
        view = view_path(src, lang)
        write_atomic(view, nbformat.writes(split(nb, lang, _rel(view, root), root)) + "\n")
    return seconds


def _record(times: dict[str, float], root: Path = ROOT) -> None:
    record = json.loads(TIMINGS.read_text()) if TIMINGS.exists() else {}
    record.setdefault("notebooks", {})
    record["machine"] = f"{os.cpu_count()} CPU cores, torch threads from COURSE_THREADS or 2"
    for src_rel, sec in times.items():
        tree = src_rel.split("/")[0]
        record["notebooks"][src_rel] = {"seconds": round(sec, 1), "budget": TREES[tree]}
    record["notebooks"] = dict(sorted(record["notebooks"].items()))
    write_atomic(TIMINGS, json.dumps(record, indent=2, ensure_ascii=False) + "\n")


def _cells(nb: NotebookNode) -> list[tuple]:
    return [(c.cell_type, c.source, tuple(c.get("metadata", {}).get("tags", []))) for c in nb.cells]


def check(root: Path | None = None) -> list[str]:
    """Every reason a view is stale against its source, missing, unexecuted or differs between languages."""
    root = root or ROOT
    problems: list[str] = []
    for src in sources(root=root):
        rel = src.relative_to(root)
        try:
            nb = read_source(src, root)
        except BuildError as err:
            problems.append(str(err))
            continue
        views = {}
        for lang in LANGS:
            path = view_path(src, lang)
            if not path.exists():
                problems.append(f"{rel}: the {lang} view {path.relative_to(root)} is missing; run the build")
                continue
            views[lang] = nbformat.read(path, as_version=4)
            if _cells(views[lang]) != _cells(split(nb, lang, _rel(path, root), root)):
                problems.append(f"{rel}: the {lang} view is stale; run `python -m course_utils.tools.build {src.stem}`")
            elif any(c.cell_type == "code" and c.source.strip() and c.execution_count is None
                     for c in views[lang].cells):
                problems.append(f"{rel}: the {lang} view has unexecuted code cells; run the build")
        if len(views) == 2:
            outs = [[c.get("outputs") for c in views[lang].cells if c.cell_type == "code"] for lang in LANGS]
            if outs[0] != outs[1]:
                problems.append(f"{rel}: the hi and en views have different outputs; rebuild both")
    for tree in TREES:
        for lang in LANGS:
            for view in sorted((root / tree / lang).glob("*.ipynb")):
                if not (root / tree / "source" / f"{view.stem}.md").exists():
                    problems.append(f"{view.relative_to(root)} has no source in {tree}/source/")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.tools.build", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*",
                        help="build only sources whose path contains one of these, e.g. 01 or solutions/source/01")
    parser.add_argument("--check", action="store_true", help="check the views against their sources; run nothing")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for p in problems:
            print(f"✗ {p}")
        print(f"{'✗' if problems else '✓'} {len(problems)} problem(s) in {len(sources())} sources")
        return 1 if problems else 0
    todo = sources(args.names)
    if not todo:
        print(f"no source matches {args.names}", file=sys.stderr)
        return 2
    times, failed = {}, []
    for src in todo:
        rel = str(src.relative_to(ROOT))
        print(f"▶ {rel} ...", flush=True)
        try:
            times[rel] = build_one(src)
        except BuildError as err:
            failed.append(rel)
            print(f"✗ {err}", file=sys.stderr)
            continue
        budget = TREES[rel.split("/")[0]]
        flag = "✓" if times[rel] <= budget else f"⚠ over the {budget:.0f} s budget"
        print(f"  {times[rel]:.1f} s {flag}", flush=True)
    if times:
        _record(times)
    if failed:
        print(f"✗ failed: {failed}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
