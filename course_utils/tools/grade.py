"""Grade returned notebooks against a released student pack, one CSV row per learner and exercise.

    python -m course_utils.tools.grade returned/*.ipynb --pack pack/ --out grades.csv
    python -m course_utils.tools.grade returned/ --pack pack/ --chapters 01 --out grades.csv --timeout 300

For each submission (read into memory first; the file is never written):

1. it is parsed as a notebook; its chapter (the ``course_utils.exercises.chNN`` it imports) and language
   (the view's metadata, else its script) are found; a chapter outside the assignment is reported;
2. a copy runs in a fresh kernel in a scratch folder (cwd and HOME there, the pack first on the path,
   without the expected values), cell after cell, errors allowed, under one time limit per notebook and
   a cap on output; what it prints is never read for grading;
3. each exercise's answer is taken by name (the last definition of the function in the cells that ran),
   with the notebook's imports and the functions, classes and literal constants it uses, nothing else;
4. a fresh process, in a new scratch folder with a pristine copy of the pack, runs those answers on the
   stored inputs (one time limit per exercise); the grader then compares their outputs with the expected
   values in its own process, which the learner's code never touches.

Results: the CSV (learner, submission, chapter, lang, exercise, answer, status, message_en, message_hi;
status is pass, fail, missing or invalid) and one feedback file per learner in the notebook's language.
A failure of one submission is a row, never a crash of the run. Limits (same OS user, not a sandbox):
INSTRUCTORS.md.
"""
from __future__ import annotations

import argparse
import ast
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import torch
from tqdm.auto import tqdm

from course_utils.exercises import NotAttempted, Wrong
from course_utils.tools import stored
from course_utils.tools.release import RELEASE_FILE, stub_body

COLUMNS = ["learner", "submission", "chapter", "lang", "exercise", "answer", "status", "message_en", "message_hi"]
MAX_RESULT_BYTES = 200_000_000


# ---------------------------------------------------------------- the pack, read once
@dataclass
class Pack:
    root: Path
    files: dict[str, bytes]               # every file of course_utils/, as released (a snapshot)
    record: dict
    expected: dict[str, dict]             # "01-ex1" -> the stored expected values

    @classmethod
    def load(cls, root: Path) -> "Pack":
        root = Path(root)
        if not (root / RELEASE_FILE).exists():
            raise SystemExit(f"{root} is not a released pack (no {RELEASE_FILE}); make one with "
                             "python -m course_utils.tools.release --chapters ... --out DIR")
        record = json.loads((root / RELEASE_FILE).read_text())
        files = {str(p.relative_to(root)): p.read_bytes() for p in (root / "course_utils").rglob("*")
                 if p.is_file() and "__pycache__" not in p.parts}
        expected = {}
        for e in record["exercises"]:
            if e["mode"] == "stored":
                path = root / "course_utils" / "exercises" / "_released" / e["slug"] / f"ex{e['number']}.expected.pt"
                expected[f"{e['chapter']}-ex{e['number']}"] = torch.load(path, weights_only=True)
        return cls(root, files, record, expected)

    def write(self, dest: Path) -> Path:
        """A pristine copy of the pack's library in `dest`, without the expected values."""
        for rel, data in self.files.items():
            if rel.endswith(".expected.pt"):
                continue
            path = dest / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return dest

    def exercises(self, chapter: str) -> list[dict]:
        return [e for e in self.record["exercises"] if e["chapter"] == chapter]


# ---------------------------------------------------------------- one submission
@dataclass
class Result:
    learner: str
    submission: str
    chapter: str = ""
    lang: str = ""
    rows: list[dict] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)     # (en, hi) about the notebook as a whole

    def row(self, exercise: str, answer: str, status: str, en: str, hi: str) -> None:
        self.rows.append({"learner": self.learner, "submission": self.submission, "chapter": self.chapter,
                          "lang": self.lang, "exercise": exercise, "answer": answer, "status": status,
                          "message_en": en, "message_hi": hi})


def learner_of(path: Path) -> str:
    """The learner's name: the file's stem, or its folder's name when the file is named after the chapter."""
    return path.parent.name if re.match(r"\d\d_", path.stem) else path.stem


def chapter_of(nb: Any) -> str | None:
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            m = re.search(r"course_utils\.exercises(?:\.ch(\d\d)\b|\s+import\s+ch(\d\d)\b)", cell.get("source", ""))
            if m:
                return m.group(1) or m.group(2)
    for cell in nb.cells:
        if cell.get("cell_type") == "markdown":
            m = re.match(r"#\s+(\d\d)\s+·", cell.get("source", ""))
            if m:
                return m.group(1)
    return None


def language_of(nb: Any) -> str:
    lang = (nb.metadata.get("course") or {}).get("language")
    if lang in ("hi", "en"):
        return lang
    text = " ".join(c.get("source", "") for c in nb.cells if c.get("cell_type") == "markdown")
    deva = sum("\u0900" <= ch <= "\u097f" for ch in text)
    return "hi" if deva > 0.1 * max(1, sum(ch.isalpha() for ch in text)) else "en"


class CappedClient:
    """nbclient's NotebookClient with a cap on the bytes of output kept (huge output is cut, and noted)."""

    def __new__(cls, *args: Any, cap: int, **kwargs: Any):  # noqa: D102
        from nbclient import NotebookClient

        class _Client(NotebookClient):
            def output(self, outs, msg, display_id, cell_index):  # noqa: ANN001, D102
                size = len(json.dumps(msg.get("content", {}), default=str))
                self.output_bytes = getattr(self, "output_bytes", 0) + size
                if self.output_bytes > cap:
                    self.output_cut = True
                    return None
                return super().output(outs, msg, display_id, cell_index)

        return _Client(*args, **kwargs)


def kernel_env(home: Path, pack: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "JPY_", "COURSE_SPLIT"))}
    env.update(HOME=str(home), PYTHONPATH=str(pack), MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1",
               COURSE_THREADS=os.environ.get("COURSE_THREADS", "1"))
    return env


def execute(nb: Any, scratch: Path, pack: Pack, timeout: float, cap: int) -> tuple[set[int], list[tuple[str, str]]]:
    """Run a copy of `nb` in a fresh kernel in `scratch`; return the indices of the code cells that ran, and notes."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    home, work = scratch / "home", scratch / "notebook"
    home.mkdir(parents=True)
    work.mkdir(parents=True)
    libpack = pack.write(scratch / "kernel_pack")
    nbformat.write(nb, work / "submission.ipynb")          # the scratch copy; the submission is never touched
    client = CappedClient(nb, cap=cap, timeout=max(1, int(timeout)), allow_errors=True, kernel_name="python3",
                          shutdown_kernel="immediate", resources={"metadata": {"path": str(work)}})
    ran: set[int] = set()
    notes: list[tuple[str, str]] = []
    i = 0
    try:
        with client.setup_kernel(env=kernel_env(home, libpack)):
            deadline = time.monotonic() + timeout          # the kernel's start-up does not count
            for i, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                left = deadline - time.monotonic()
                if left <= 0:
                    raise CellTimeoutError("time limit")
                client.timeout = max(1, int(left))
                client.execute_cell(cell, i)
                ran.add(i)
                for out in cell.get("outputs", []):
                    if out.get("output_type") == "error":
                        notes.append((f"cell {i + 1} raised {out.get('ename')}: {str(out.get('evalue'))[:200]}",
                                      f"cell {i + 1} में {out.get('ename')} error आई: {str(out.get('evalue'))[:200]}"))
    except CellTimeoutError:
        notes.append((f"the notebook hit the time limit of {timeout:g} s at cell {i + 1}; the cells after it did not run",
                      f"notebook {timeout:g} s की time limit पर cell {i + 1} में रुका; उसके बाद के cells नहीं चले"))
    except DeadKernelError:
        notes.append((f"the kernel died at cell {i + 1}", f"cell {i + 1} पर kernel बंद हो गया"))
    except Exception as err:  # noqa: BLE001  a kernel that cannot start: the answers are still graded
        notes.append((f"the notebook could not run: {type(err).__name__}: {err}"[:300],
                      f"notebook नहीं चल सका: {type(err).__name__}: {err}"[:300]))
    if getattr(client, "output_cut", False):
        notes.append((f"the notebook printed more than {cap:,} bytes; the rest of its output was dropped",
                      f"notebook ने {cap:,} bytes से ज़्यादा output छापा; बाकी output छोड़ दिया गया"))
    return ran, notes


# ---------------------------------------------------------------- taking the answer out of the notebook
def _python(source: str) -> ast.Module | None:
    """A cell's code as Python (IPython magics and shell lines turned into Python), or None if it does not parse."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        source = TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001
        pass
    try:
        return ast.parse(source)
    except SyntaxError:
        return None


def answer_source(nb: Any, ran: set[int], name: str) -> tuple[str | None, str]:
    """The source that defines `name` as the notebook left it: (source, '') or (None, why it is missing).

    Taken from the code cells that ran, in order: every top-level import; the last top-level definition
    of `name`; the functions and classes it uses (transitively, their last definitions); and top-level
    constants (a name bound to a literal) it uses. Nothing else from the notebook runs at grading.
    """
    imports: list[str] = []
    defs: dict[str, ast.stmt] = {}
    consts: dict[str, ast.stmt] = {}
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code" or i not in ran:
            continue
        tree = _python(cell.get("source", ""))
        if tree is None:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                text = ast.unparse(node)
                if text not in imports and not (isinstance(node, ast.ImportFrom) and node.module == "__future__"):
                    imports.append(text)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defs[node.name] = node
                consts.pop(node.name, None)
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                try:
                    ast.literal_eval(node.value)
                    consts[node.targets[0].id] = node
                except (ValueError, SyntaxError, TypeError):
                    consts.pop(node.targets[0].id, None)
                defs.pop(node.targets[0].id, None)
    if name not in defs or not isinstance(defs[name], (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None, "not defined"
    if stub_body(defs[name]):
        return None, "stub"
    need, todo = [], [name]
    while todo:
        n = todo.pop()
        if n in need:
            continue
        if n in defs:
            need.append(n)
            todo += [x.id for x in ast.walk(defs[n]) if isinstance(x, ast.Name)]
        elif n in consts:
            need.append(n)
    body = [ast.unparse(consts[n]) for n in need if n in consts and n not in defs]
    body += [ast.unparse(defs[n]) for n in reversed(need) if n in defs]
    return "\n".join(imports) + "\n\n" + "\n\n".join(body) + "\n", ""


# ---------------------------------------------------------------- running the answers (learner's code)
def run_answers(jobs: list[dict], scratch: Path, pack: Pack, limit: float) -> dict[str, dict]:
    """Run the answers in a fresh process per batch; an answer over `limit` seconds is stopped and marked."""
    results: dict[str, dict] = {}
    todo = list(jobs)
    round_ = 0
    while todo:
        round_ += 1
        run_dir = scratch / f"answers{round_}"
        home = run_dir / "home"
        home.mkdir(parents=True)
        libpack = pack.write(run_dir / "pack")
        for j in todo:
            j["inputs"] = str(libpack / "course_utils" / "exercises" / "_released" / j["slug"] / f"ex{j['number']}.inputs.pt")
            j["result"] = str(run_dir / f"result_{j['key']}")
        status = run_dir / "status.txt"
        status.write_text("")
        job = run_dir / "job.json"
        job.write_text(json.dumps({"status": str(status), "exercises": todo}))
        proc = subprocess.Popen([sys.executable, "-m", "course_utils.exercises.stored", str(job)], cwd=home,
                                env=kernel_env(home, libpack), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        t0, starts, timed_out = time.monotonic(), {}, None
        while proc.poll() is None:
            time.sleep(0.05)
            words = status.read_text().split()
            pairs = list(zip(words[::2], words[1::2]))
            for kind, key in pairs:
                if kind == "start":
                    starts.setdefault(key, time.monotonic())
            done = {key for kind, key in pairs if kind == "done"}
            running = [k for k in starts if k not in done]
            if running and time.monotonic() - starts[running[0]] > limit:
                timed_out = running[0]
                break
            if not starts and time.monotonic() - t0 > limit + 60:    # stuck before the first answer
                timed_out = todo[0]["key"]
                break
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        for j in todo:
            path = Path(j["result"] + ".json")
            if path.exists() and path.stat().st_size < 1_000_000:
                try:
                    results[j["key"]] = {**json.loads(path.read_text()), "dir": j["result"]}
                except ValueError:
                    results[j["key"]] = {"status": "error", "en": "unreadable result", "hi": "result पढ़ा नहीं जा सका"}
        if timed_out:
            results[timed_out] = {"status": "timeout"}
        left = [j for j in todo if j["key"] not in results]
        if left and not timed_out:          # the process died without a time-out: mark the rest, do not loop
            for j in left:
                results[j["key"]] = {"status": "error", "en": "the check process stopped early (the answer ended it)",
                                     "hi": "check का process जल्दी रुक गया (answer ने उसे बंद किया)"}
            left = []
        todo = left
    return results


def verdict(result: dict, expected: dict | None, limit: float) -> tuple[str, str, str]:
    """(status, en, hi) from what the answer process left, compared here with the expected values."""
    s = result.get("status")
    if s == "timeout":
        return ("fail", f"time limit: the answer ran longer than {limit:g} s on the checks and was stopped",
                f"time limit: answer checks पर {limit:g} s से ज़्यादा चला और रोक दिया गया")
    if s in ("missing", "error"):
        return ("missing" if s == "missing" else "fail", str(result.get("en", ""))[:500], str(result.get("hi", ""))[:500])
    if s == "shipped":
        status = {"correct": "pass", "incorrect": "fail"}.get(result.get("outcome"), "missing")
        return status, str(result.get("en", "")) or ("not attempted" if status == "missing" else ""), str(result.get("hi", ""))
    if s == "ran" and expected is not None:
        path = Path(result["dir"] + ".pt")
        try:
            if path.stat().st_size > MAX_RESULT_BYTES:
                raise ValueError("too large")
            records = torch.load(path, weights_only=True)["records"]
            if not isinstance(records, list):
                raise ValueError("not a list")
            stored.compare(expected, records)
        except NotAttempted:
            return "missing", "not attempted: the function is still the stub", "अभी कोशिश नहीं की: function अभी stub ही है"
        except Wrong as w:
            return "fail", w.en, w.hi
        except Exception as err:  # noqa: BLE001  a result the answer's process forged or broke
            return "fail", f"the answer's results could not be read ({type(err).__name__})", "answer के results पढ़े नहीं जा सके"
        return "pass", "", ""
    return "fail", "no result", "कोई result नहीं"


def grade_one(path: Path, data: bytes, pack: Pack, chapters: list[str], root: Path, timeout: float,
              limit: float, cap: int) -> Result:
    res = Result(learner_of(path), path.name)
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("no cells")
    except Exception as err:  # noqa: BLE001
        res.row("", "", "invalid", f"not a notebook: {type(err).__name__}: {str(err)[:200]}; hand in the .ipynb file",
                f"यह notebook नहीं है: {type(err).__name__}; .ipynb file जमा करें")
        return res
    res.chapter, res.lang = chapter_of(nb) or "", language_of(nb)
    if res.chapter not in chapters:
        what = f"chapter {res.chapter}" if res.chapter else "no chapter of the course"
        res.row("", "", "invalid", f"wrong chapter: this notebook is {what}; the assignment is chapter "
                f"{', '.join(chapters)}", f"गलत chapter: यह notebook {what.replace('no chapter of the course', 'course का कोई chapter नहीं')} "
                f"है; assignment chapter {', '.join(chapters)} का है")
        return res
    scratch = Path(tempfile.mkdtemp(prefix="sub-", dir=root))
    ran, res.notes = execute(nb, scratch, pack, timeout, cap)
    jobs, static = [], {}
    for e in pack.exercises(res.chapter):
        key = f"{e['chapter']}-ex{e['number']}"
        source, why = answer_source(nb, ran, e["answer"])
        if source is None:
            static[key] = why
        else:
            jobs.append({"key": key, "module": e["module"], "number": e["number"], "name": e["answer"],
                         "slug": e["slug"], "mode": e["mode"], "source": source})
    results = run_answers(jobs, scratch, pack, limit) if jobs else {}
    stopped = next((n for n in res.notes if "time limit" in n[0] or "kernel died" in n[0]), None)
    for e in pack.exercises(res.chapter):
        key = f"{e['chapter']}-ex{e['number']}"
        if key in static:
            if static[key] == "stub":
                en, hi = "not attempted: the function is still the stub", "अभी कोशिश नहीं की: function अभी stub ही है"
            else:
                en, hi = f"`{e['answer']}` is not defined in the notebook", f"notebook में `{e['answer']}` define नहीं है"
                if stopped:
                    en, hi = f"{en} ({stopped[0]})", f"{hi} ({stopped[1]})"
            res.row(f"ex{e['number']}", e["answer"], "missing", en, hi)
        else:
            res.row(f"ex{e['number']}", e["answer"], *verdict(results.get(key, {}), pack.expected.get(key), limit))
    shutil.rmtree(scratch, ignore_errors=True)
    return res


# ---------------------------------------------------------------- feedback and the run
FEEDBACK = {
    "en": {"title": "Feedback", "pass": "✓ correct", "fail": "✗ not yet", "missing": "○ missing",
           "invalid": "✗ not graded", "score": "Score", "notes": "About the notebook"},
    "hi": {"title": "Feedback", "pass": "✓ सही", "fail": "✗ अभी सही नहीं", "missing": "○ नहीं मिला",
           "invalid": "✗ grade नहीं हुआ", "score": "Score", "notes": "Notebook के बारे में"},
}


def feedback(results: list[Result]) -> str:
    lang = results[0].lang or "en"
    t = FEEDBACK[lang]
    msg = "message_hi" if lang == "hi" else "message_en"
    lines = [f"# {t['title']}: {results[0].learner}", ""]
    for r in results:
        graded = [x for x in r.rows if x["exercise"]]
        head = f"## {r.submission}" + (f" (chapter {r.chapter})" if r.chapter else "")
        lines += [head, ""]
        if graded:
            lines += [f"**{t['score']}:** {sum(x['status'] == 'pass' for x in graded)}/{len(graded)}", ""]
        for x in r.rows:
            text = x[msg] if lang == "hi" or not x["message_en"] else x["message_en"]
            if not x["exercise"] and lang == "en":
                text = x["message_en"]
            elif not x["exercise"]:
                text = f"{x['message_hi']} / {x['message_en']}"
            label = f"{x['exercise']} `{x['answer']}`: " if x["exercise"] else ""
            lines.append(f"- {label}{t[x['status']]}" + (f": {text}" if text else ""))
        if r.notes:
            lines += ["", f"**{t['notes']}:**", ""]
            lines += [f"- {n[1] if lang == 'hi' else n[0]}" for n in r.notes]
        lines.append("")
    return "\n".join(lines)


def reachable_checkout() -> Path | None:
    """The course checkout (with solutions) that this Python imports course_utils from, if any."""
    import course_utils

    path = Path(course_utils.__file__).resolve().parents[1]
    return path if (path / "solutions").is_dir() else None


def submissions_in(paths: list[Path]) -> list[Path]:
    out = []
    for p in paths:
        out += sorted(p.rglob("*.ipynb")) if p.is_dir() else [p]
    return [p for p in out if ".ipynb_checkpoints" not in p.parts]


def grade(paths: list[Path], pack_dir: Path, out: Path, chapters: list[str] | None = None,
          feedback_dir: Path | None = None, timeout: float = 600, limit: float = 60, cap: int = 2_000_000,
          progress: bool = True) -> list[dict]:
    pack = Pack.load(pack_dir)
    chapters = [c.zfill(2) for c in chapters] if chapters else list(pack.record["chapters"])
    missing = [c for c in chapters if c not in pack.record["chapters"]]
    if missing:
        raise SystemExit(f"the pack {pack_dir} has no chapter {' '.join(missing)}; it has {' '.join(pack.record['chapters'])}")
    subs = submissions_in([Path(p) for p in paths])
    if not subs:
        raise SystemExit("no submissions: pass notebook files or folders that hold them")
    data = {}
    for p in subs:                               # read every submission before running any of them
        try:
            data[p] = p.read_bytes()
        except OSError as err:
            data[p] = str(err).encode()
    checkout = reachable_checkout()
    if checkout:
        print(f"note: this Python has the course installed from {checkout}, which holds the solutions; the kernels "
              "import the pack first, but code that searches the installation can find that folder "
              "(see INSTRUCTORS.md, 'Limits')", file=sys.stderr)
    root = Path(tempfile.mkdtemp(prefix="course-grade-"))
    results: list[Result] = []
    try:
        for p in tqdm(subs, desc="grading", unit="notebook", disable=not progress):
            try:
                results.append(grade_one(p, data[p], pack, chapters, root, timeout, limit, cap))
            except Exception as err:  # noqa: BLE001  one bad submission never stops the others
                r = Result(learner_of(p), p.name)
                r.row("", "", "invalid", f"the grader failed on this notebook: {type(err).__name__}: {err}"[:300],
                      "इस notebook पर grader fail हुआ")
                results.append(r)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    rows = [row for r in results for row in r.rows]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    feedback_dir = Path(feedback_dir) if feedback_dir else out.with_name(out.stem + "_feedback")
    feedback_dir.mkdir(parents=True, exist_ok=True)
    by_learner: dict[str, list[Result]] = {}
    for r in results:
        by_learner.setdefault(r.learner, []).append(r)
    for learner, rs in by_learner.items():
        (feedback_dir / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', learner)}.md").write_text(feedback(rs), encoding="utf-8")
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m course_utils.tools.grade", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("submissions", nargs="+", type=Path, help="returned notebooks, or folders of them")
    p.add_argument("--pack", required=True, type=Path, help="the pack released to the class (its checkers are used)")
    p.add_argument("--out", required=True, type=Path, help="the CSV to write")
    p.add_argument("--chapters", nargs="+", help="the assigned chapters (default: every chapter of the pack)")
    p.add_argument("--feedback", type=Path, help="folder of feedback files (default: next to --out)")
    p.add_argument("--timeout", type=float, default=600, help="seconds per notebook (default 600)")
    p.add_argument("--exercise-timeout", type=float, default=60, help="seconds per answer's checks (default 60)")
    p.add_argument("--max-output", type=int, default=2_000_000, help="bytes of output kept per notebook")
    a = p.parse_args(argv)
    rows = grade(a.submissions, a.pack, a.out, a.chapters, a.feedback, a.timeout, a.exercise_timeout, a.max_output)
    counts = {s: sum(r["status"] == s for r in rows) for s in ("pass", "fail", "missing", "invalid")}
    print(f"wrote {a.out}: " + ", ".join(f"{n} {s}" for s, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
