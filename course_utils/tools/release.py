"""Release chapters to a class: a student pack with the exercises' hints and checkers but no solutions.

    python -m course_utils.tools.release --chapters 01 02 03 --lang both --out pack/
    python -m course_utils.tools.release --chapters all --lang hi --out pack/

The pack holds the chosen chapter views (outputs cleared, exercise cells as their stubs, links to the
solution notebooks replaced by "after the deadline"), the learner library ``course_utils`` without the
author's tools, and ``course_utils/exercises`` rebuilt for the class: the same hints, ``exN.solution()``
answering in both languages that solutions come after the deadline, and checkers that compare an answer
with expected values stored at release (see ``course_utils/tools/stored.py``). Exercises whose answer is
a model (an ``nn.Module``) cannot be stored as values: their own checker ships instead, extracted from the
chapter's module without its solution code ("shipped checker"). Nothing else is needed for a new chapter:
every exercise in ``course_utils/exercises/chNN.py`` is found through the registry (:func:`registry`).

This tool belongs to the author/instructor side (``course_utils/tools``); no learner module imports it.
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import io
import importlib
import inspect
import json
import re
import shutil
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import torch

from course_utils.exercises import Exercise
from course_utils.tools import stored

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "course_utils"
RELEASE_FILE = "release.json"


# ---------------------------------------------------------------- the exercise registry
@dataclass
class Entry:
    """One registered exercise: its chapter, module, number, the answer's name and the Exercise itself."""

    chapter: str        # "01"
    module: str         # "ch01"
    exercise: Exercise

    @property
    def number(self) -> int:
        return self.exercise.number

    @property
    def slug(self) -> str:
        return self.exercise.chapter

    @property
    def answer(self) -> str:
        return answer_name(self.exercise)

    @property
    def key(self) -> str:
        return f"{self.chapter}-ex{self.number}"


def answer_name(ex: Exercise) -> str:
    """The name of the learner's function: the first `def` in the exercise's solution code."""
    for node in ast.parse(ex.solution_code).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return node.name
    raise ValueError(f"{ex.chapter} exercise {ex.number}: its solution_code has no `def` (the answer's name)")


def chapters_available() -> list[str]:
    return sorted(p.stem[2:] for p in (PACKAGE / "exercises").glob("ch[0-9][0-9].py"))


def registry(chapters: list[str] | None = None) -> list[Entry]:
    """Every exercise of `chapters` (all chapters with an exercises module when None), in order."""
    wanted = chapters_available() if chapters is None else chapters
    entries = []
    for ch in wanted:
        if not (PACKAGE / "exercises" / f"ch{ch}.py").exists():
            raise SystemExit(f"chapter {ch} has no exercises module course_utils/exercises/ch{ch}.py; "
                             f"chapters with exercises: {' '.join(chapters_available())}")
        module = importlib.import_module(f"course_utils.exercises.ch{ch}")
        found = sorted((v for k, v in vars(module).items() if re.fullmatch(r"ex\d+", k) and isinstance(v, Exercise)),
                       key=lambda e: e.number)
        entries += [Entry(ch, f"ch{ch}", ex) for ex in found]
    return entries


def reference(entry: Entry) -> Any:
    """The reference answer: the solution code run in a copy of its chapter module's namespace."""
    module = importlib.import_module(f"course_utils.exercises.{entry.module}")
    namespace = dict(vars(module))
    exec("import math\nimport torch\nfrom torch import nn\nimport torch.nn.functional as F\n"  # noqa: S102
         + entry.exercise.solution_code, namespace)
    return namespace[entry.answer]


# ---------------------------------------------------------------- answers the learner's library already has
# modules whose functions read or write files, draw or check the installation: none can answer an exercise,
# and calling them with an exercise's arguments could load data, train and save a zoo model, or open figures
NOT_SCANNED = {"data": "loads data sets", "zoo": "loads, trains and saves checkpoints",
               "plots": "draws figures", "widgets": "draws widgets", "envcheck": "checks the installation",
               "glossary": "reads the glossary"}


def library_modules() -> list[str]:
    """Every public module of the learner's library (course_utils/*.py but the exercises and the tools), less
    the input/output modules of NOT_SCANNED."""
    return sorted(p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("_") and p.stem not in NOT_SCANNED)


LIBRARY = tuple(library_modules())
OPEN_LIBRARY_SECONDS = 5.0       # a library function slower than this on one exercise's checks is not a candidate


class _TooSlow(BaseException):            # not an Exception: a library function cannot swallow it
    pass


def open_library(inputs: dict, expected: dict) -> list[str]:
    """The public functions of the learner's library that pass an exercise's stored checks ("open library").

    Every public module of ``course_utils`` is scanned (not the exercises or the tools); each function whose
    signature takes the first check's arguments runs on every check, under a time limit. Such an exercise
    cannot be kept secret by a release: the chapter itself teaches the function.
    """
    import signal

    found = []
    first = inputs["calls"][0]

    def too_slow(*_: Any) -> None:
        raise _TooSlow

    for modname in LIBRARY:
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                mod = importlib.import_module(f"course_utils.{modname}")
        except Exception:  # noqa: BLE001
            continue
        for name, fn in sorted(vars(mod).items()):
            if name.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != mod.__name__:
                continue
            try:
                inspect.signature(fn).bind(*first["args"], **first["kwargs"])
            except (TypeError, ValueError):
                continue
            old = signal.signal(signal.SIGALRM, too_slow)
            signal.setitimer(signal.ITIMER_REAL, OPEN_LIBRARY_SECONDS)
            state, threads = torch.get_rng_state(), torch.get_num_threads()
            try:
                with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
                        warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    stored.compare(expected, stored.run_calls(fn, inputs), inputs)
            except BaseException as err:  # noqa: BLE001  (Wrong, NotAttempted, too slow, or it does not fit)
                if isinstance(err, KeyboardInterrupt):
                    raise
                continue
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, old)
                torch.set_rng_state(state)
                torch.set_num_threads(threads)         # a library function (through threadpoolctl) may change it
            found.append(f"{modname}.{name}")
    return found


# ---------------------------------------------------------------- a shipped checker, without the solution
def fixture_names(entry: Entry, inputs: Any) -> list[str]:
    """Names of the chapter module's own classes whose instances the stored inputs hold (pickled by name).

    The released module must define them, or the pack cannot load its own inputs.
    """
    found: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, (list, tuple)):
            for x in v:
                walk(x)
        elif isinstance(v, torch.nn.Module):
            for m in v.modules():
                t = type(m)
                if t.__module__ == f"course_utils.exercises.{entry.module}" and t.__name__ not in found:
                    found.append(t.__name__)
        elif not isinstance(v, (torch.Tensor, torch.Generator, str, int, float, bool, type(None))):
            t = type(v)
            if t.__module__ == f"course_utils.exercises.{entry.module}" and t.__name__ not in found:
                found.append(t.__name__)

    walk(inputs)
    return found


def checker_source(entry: Entry, roots: list[str] | None = None) -> tuple[list[str], str]:
    """(import lines, source) of the exercise's checker (or of `roots`) and the module-level helpers they use."""
    module = importlib.import_module(f"course_utils.exercises.{entry.module}")
    tree = ast.parse(inspect.getsource(module))
    imports, defs = [], {}
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if not (isinstance(node, ast.ImportFrom) and node.module == "__future__"):
                imports.append(ast.unparse(node))
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            defs[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = node.value
            is_exercise = isinstance(value, ast.Call) and getattr(value.func, "id", "") == "Exercise"
            for t in targets:
                if isinstance(t, ast.Name) and not is_exercise:
                    defs[t.id] = node
    need, todo = [], list(roots) if roots is not None else [entry.exercise.checker.__name__]
    while todo:
        name = todo.pop()
        if name in need or name not in defs:
            continue
        need.append(name)
        todo += [n.id for n in ast.walk(defs[name]) if isinstance(n, ast.Name)]
    if entry.answer in need:
        raise SystemExit(f"{entry.key}: its checker uses the answer `{entry.answer}` itself; it cannot ship")
    nodes = sorted({id(defs[n]): defs[n] for n in need}.values(), key=lambda n: n.lineno)
    return imports, "\n\n\n".join(ast.get_source_segment(inspect.getsource(module), n) for n in nodes)


# ---------------------------------------------------------------- notebooks
def stub_body(node: ast.FunctionDef) -> bool:
    """True if a def's body is only a docstring, `...`, `pass` or `raise NotImplementedError` (the stub)."""
    def trivial(s: ast.stmt) -> bool:
        if isinstance(s, ast.Pass):
            return True
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant):
            return s.value.value is Ellipsis or isinstance(s.value.value, str)
        return isinstance(s, ast.Raise) and "NotImplementedError" in ast.unparse(s)
    return all(trivial(s) for s in node.body)


_SOLUTION_LINK = re.compile(r"\[([^\]]+)\]\((?:\.\./\.\./)?solutions/[^)]*\)")
_AFTER = {"hi": "deadline के बाद", "en": "after the deadline"}


def release_view(src: Path, lang: str, answers: set[str]) -> nbformat.NotebookNode:
    """A chapter view for the class: outputs cleared, solution links replaced, exercise cells as stubs."""
    nb = nbformat.read(src, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _SOLUTION_LINK.sub(lambda m: f"{m.group(1)} ({_AFTER[lang]})", cell.source)
        elif cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            for node in tree.body:
                if isinstance(node, ast.FunctionDef) and node.name in answers and not stub_body(node):
                    raise SystemExit(f"{src}: the exercise cell defining `{node.name}` is not a stub")
    nb.metadata.pop("widgets", None)
    nb.metadata.setdefault("course", {})["released"] = True
    return nb


# ---------------------------------------------------------------- the pack
PACK_README = """# Course pack / course pack: {chapters}

हिंदी: यह आपके instructor का दिया हुआ pack है। Chapters `notebooks/` में हैं। हर exercise का
`exN.check(...)` आपका answer जाँचता है और `exN.hint()` hints देता है; solutions deadline के बाद मिलेंगे।
Install: `pip install -e .` (इस folder में), या `PYTHONPATH` को इस folder पर रखें।

English: this pack comes from your instructor. The chapters are in `notebooks/`. Each exercise's
`exN.check(...)` checks your answer and `exN.hint()` gives hints; solutions come after the deadline.
Install: `pip install -e .` (in this folder), or point `PYTHONPATH` at this folder.
"""

PACK_PYPROJECT = """[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "course_utils"
version = "{version}"
description = "Student pack of the course 'Autoencoders से VAE तक / From Autoencoders to VAEs'"
requires-python = ">=3.10"
dependencies = {dependencies}

[tool.setuptools]
packages = ["course_utils", "course_utils.exercises"]

[tool.setuptools.package-data]
course_utils = ["glossary.toml", "checkpoints/*.pt", "checkpoints/*.json"]
"course_utils.exercises" = ["_released/*/*.pt"]
"""


def _dependencies() -> str:
    text = (ROOT / "pyproject.toml").read_text()
    block = re.search(r"^dependencies = \[(.*?)\]", text, re.S | re.M)
    deps = re.findall(r'"([^"]+)"', block.group(1)) if block else ["torch", "numpy", "matplotlib"]
    return json.dumps(deps)


def _copy_library(out: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "tools", "exercises", "*.egg-info")
    shutil.copytree(PACKAGE, out / "course_utils", ignore=ignore)
    ex = out / "course_utils" / "exercises"
    ex.mkdir()
    shutil.copy2(PACKAGE / "exercises" / "__init__.py", ex / "__init__.py")
    shutil.copy2(Path(stored.__file__), ex / "stored.py")


def _module_text(ch: str, entries: list[Entry], modes: dict[str, str], max_hints: int | None,
                 fixtures: dict[str, list[str]] | None = None) -> str:
    slug = entries[0].slug
    imports, shipped = [], []
    roots: list[str] = []
    for e in entries:
        if modes[e.key] == "shipped":
            roots.append(e.exercise.checker.__name__)
        roots += [n for n in (fixtures or {}).get(e.key, []) if n not in roots]
    if roots:
        imp, src = checker_source(entries[0], roots)
        imports += [i for i in imp if i not in imports]
        shipped.append(src)
    lines = [f'"""Exercises of chapter {ch}, released for a class: hints and checkers, no solutions."""',
             "from __future__ import annotations", "", "from pathlib import Path", "", *imports,
             "from course_utils.exercises.stored import ReleasedExercise, stored_checker", "",
             f"CHAPTER = {slug!r}", '_DATA = Path(__file__).resolve().parent / "_released" / CHAPTER', "", ""]
    lines += [s + "\n\n" for s in shipped]
    for e in entries:
        hints = e.exercise.hints[:max_hints] if max_hints else e.exercise.hints
        checker = (e.exercise.checker.__name__ if modes[e.key] == "shipped" else f"stored_checker(_DATA, {e.number})")
        lines.append(f"ex{e.number} = ReleasedExercise(\n    CHAPTER, {e.number}, {checker},\n"
                     f"    hints={hints!r},\n    solution_code='',\n)\n")
    return "\n".join(lines) + "\n"


def leaks(out: Path, entries: list[Entry]) -> list[str]:
    """Lines of a solution found in the pack's text files.

    A line counts unless the course already gives it to every learner: in a hint, a chapter view or the library.
    """
    texts = {p: p.read_text(errors="replace") for p in out.rglob("*")
             if p.is_file() and p.suffix in (".py", ".ipynb", ".md", ".json", ".toml", ".txt")}
    # what the course gives every learner anyway: the chapter views and the library (a chapter may teach
    # a line that an exercise reuses), and the hints
    given = " ".join(p.read_text(errors="replace") for p in [*(ROOT / "notebooks").glob("*/*.ipynb"),
                                                              *PACKAGE.glob("*.py")])
    found = []
    for e in entries:
        hints = " ".join(h for pair in e.exercise.hints for h in pair)
        for line in e.exercise.solution_code.splitlines():
            code = line.split("#")[0].strip()
            if (len(code) < 16 or code.startswith(("import ", "from ", "def ")) or code in hints
                    or json.dumps(code)[1:-1] in given or code in given):
                continue
            for path, text in texts.items():
                if code in text:
                    found.append(f"{e.key}: {path.relative_to(out)} contains the solution line `{code}`")
        for path, text in texts.items():
            if e.exercise.solution_code in text:
                found.append(f"{e.key}: {path.relative_to(out)} contains the whole solution code")
    return found


GRADING_FILE = "grading.json"


def same_inputs(a: dict, b: dict, expected: dict) -> bool:
    """True if two stored sets of checks are the same checks, call by call: equal inputs and, for a random call
    (`expected` says which), the same state of the global random numbers (a checker that draws nothing random)."""
    try:
        return len(a["calls"]) == len(b["calls"]) and all(
            stored._same(stored.plain((x["args"], x["kwargs"]), modules=True),
                         stored.plain((y["args"], y["kwargs"]), modules=True))
            and (not want["random"] or torch.equal(x["rng_state"], y["rng_state"]))
            for x, y, want in zip(a["calls"], b["calls"], expected["calls"]))
    except stored.Unstorable:
        return False


def grading_dir_for(pack: Path) -> Path:
    """Where a pack's held-back grading set lives by default: a sibling folder, never inside the pack."""
    pack = Path(pack)
    return pack.with_name(pack.name + "-grading")


def record_grading(e: Entry, ref: Any, shift: int) -> tuple[dict, dict, int]:
    """The held-back set of `e`: the checker run with every seed moved by `shift` (another shift if the
    reference does not pass its own checker on the first one)."""
    last: Exception | None = None
    for k in range(3):
        try:
            inputs, expected = stored.record(e.exercise, ref, seed_shift=shift + 7 * k)
            return inputs, expected, shift + 7 * k
        except RuntimeError as err:
            last = err
    raise SystemExit(f"{e.key}: the reference does not pass its own checker when the checker's seeds move "
                     f"(held-back grading set): {last}")


def release(chapters: list[str], lang: str, out: Path, max_hints: int | None = None, force: bool = False,
            quiet: bool = False, grading: Path | None = None, grading_seed: int | None = None) -> dict:
    """Write the student pack for `chapters` into `out`; return its release record (also in out/release.json).

    The held-back grading set (other seeds, expected values included) goes to `grading` (default: the
    sibling folder ``OUT-grading``), which stays with the instructor: never hand it out.
    """
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))  # noqa: E731
    import os
    import secrets

    if os.environ.get("COURSE_THREADS"):          # the checkers' linear algebra, on a shared machine
        torch.set_num_threads(max(1, int(os.environ["COURSE_THREADS"])))
    langs = ["hi", "en"] if lang == "both" else [lang]
    if lang not in ("hi", "en", "both"):
        raise SystemExit(f"--lang must be hi, en or both, got {lang!r}")
    if chapters == ["all"]:
        chapters = chapters_available()
    chapters = [c.zfill(2) for c in chapters]
    entries = registry(chapters)
    out = Path(out)
    grading = Path(grading) if grading else grading_dir_for(out)
    if grading.resolve() == out.resolve() or out.resolve() in grading.resolve().parents:
        raise SystemExit(f"--grading {grading} is inside the pack {out}: the held-back set must stay outside it")
    for folder, marker in ((out, RELEASE_FILE), (grading, GRADING_FILE)):
        if folder.exists() and any(folder.iterdir()):
            if not (force and (folder / marker).exists()):
                raise SystemExit(f"{folder} is not empty; choose a new folder (or --force to replace an earlier "
                                 "pack there)")
            shutil.rmtree(folder)
    out.mkdir(parents=True, exist_ok=True)
    grading.mkdir(parents=True, exist_ok=True)
    shift = int(grading_seed) if grading_seed is not None else 1 + secrets.randbelow(10**6)
    _copy_library(out)
    modes: dict[str, str] = {}
    opens: dict[str, list[str]] = {}
    fixtures: dict[str, list[str]] = {}
    shifts: dict[str, int] = {}
    held: dict[str, bool] = {}
    for e in entries:
        folder = out / "course_utils" / "exercises" / "_released" / e.slug
        folder.mkdir(parents=True, exist_ok=True)
        ref = reference(e)
        try:
            inputs, expected = stored.record(e.exercise, ref)
        except stored.Unstorable as u:
            modes[e.key] = "shipped"
            say(f"  {e.key} {e.answer}: a value it works with cannot be stored ({u}), so its own checker ships "
                "(without the solution code); its verdict at grading is only advisory ('review')")
            continue
        torch.save(inputs, folder / f"ex{e.number}.inputs.pt")
        torch.save(expected, folder / f"ex{e.number}.expected.pt")
        g_inputs, g_expected, shifts[e.key] = record_grading(e, ref, shift)
        g_folder = grading / e.slug
        g_folder.mkdir(parents=True, exist_ok=True)
        torch.save(g_inputs, g_folder / f"ex{e.number}.inputs.pt")
        torch.save(g_expected, g_folder / f"ex{e.number}.expected.pt")
        fixtures[e.key] = fixture_names(e, (inputs, g_inputs))
        modes[e.key] = "stored"
        opens[e.key] = open_library(inputs, expected)
        held[e.key] = not same_inputs(inputs, g_inputs, g_expected)
        if not held[e.key]:
            say(f"  {e.key} {e.answer}: its checker draws no random inputs (fixed data), so the grading set's inputs are "
                "the pack's own: an answer that looks them up in the pack passes this one")
        say(f"  {e.key} {e.answer}: {len(inputs['calls'])} stored checks"
            + (f"; open library: {', '.join(opens[e.key])} passes them too" if opens[e.key] else ""))
    by_chapter: dict[str, list[Entry]] = {}
    for e in entries:
        by_chapter.setdefault(e.chapter, []).append(e)
    views = []
    for ch, es in by_chapter.items():
        (out / "course_utils" / "exercises" / f"ch{ch}.py").write_text(_module_text(ch, es, modes, max_hints, fixtures))
        for lg in langs:
            src = ROOT / "notebooks" / lg / f"{es[0].slug}.ipynb"
            if not src.exists():
                raise SystemExit(f"{src} does not exist: build the chapter's views first "
                                 f"(python -m course_utils.tools.build {ch})")
            dest = out / "notebooks" / lg / src.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(release_view(src, lg, {e.answer for e in es}), dest)
            views.append(str(dest.relative_to(out)))
    version = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    (out / "pyproject.toml").write_text(PACK_PYPROJECT.format(version=version.group(1) if version else "0.1.0",
                                                              dependencies=_dependencies()))
    (out / "README.md").write_text(PACK_README.format(chapters=", ".join(by_chapter)))
    record = {"format": 1, "chapters": list(by_chapter), "languages": langs, "views": views,
              "max_hints": max_hints,
              "exercises": [{"chapter": e.chapter, "slug": e.slug, "module": e.module, "number": e.number,
                             "answer": e.answer, "mode": modes[e.key], "open_library": opens.get(e.key, []),
                             "held_back": held.get(e.key, False)}
                            for e in entries]}
    (out / RELEASE_FILE).write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
    (grading / GRADING_FILE).write_text(json.dumps(
        {"format": 1, "pack": str(out.resolve()), "chapters": list(by_chapter), "seed_shift": shifts,
         "exercises": record["exercises"]}, indent=1, ensure_ascii=False) + "\n")
    found = leaks(out, entries)
    if found:
        raise SystemExit("the pack would leak solutions:\n" + "\n".join(found))
    say(f"wrote {out}: chapters {' '.join(by_chapter)}, {len(entries)} exercises, views {', '.join(langs)}")
    say(f"wrote {grading}: the held-back grading set (keep it; never hand it out)")
    return record


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m course_utils.tools.release", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chapters", nargs="+", required=True, help="chapter numbers (01 02 ...) or 'all'")
    p.add_argument("--lang", default="both", choices=["hi", "en", "both"])
    p.add_argument("--out", required=True, type=Path, help="a new (or empty) folder for the pack")
    p.add_argument("--max-hints", type=int, default=None,
                   help="keep at most this many hints per exercise (default: all; the last hint often shows the key line)")
    p.add_argument("--force", action="store_true", help="replace an earlier pack in --out")
    p.add_argument("--grading", type=Path, default=None,
                   help="folder for the held-back grading set (default: OUT-grading next to the pack; never hand it out)")
    p.add_argument("--grading-seed", type=int, default=None,
                   help="how far the grading set's seeds move from the pack's (default: drawn afresh)")
    a = p.parse_args(argv)
    release(a.chapters, a.lang, a.out, a.max_hints, a.force, grading=a.grading, grading_seed=a.grading_seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
