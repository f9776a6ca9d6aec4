"""Grade returned notebooks against a released student pack, one CSV row per learner and exercise.

    python -m course_utils.tools.grade returned/ --pack pack/ --out grades.csv
    python -m course_utils.tools.grade returned/*.ipynb --pack pack/ --chapters 01 --out grades.csv --jobs 2

The grading set is the held-back one the release wrote next to the pack (``pack-grading/``, or
``--grading``): other inputs than the pack's self-checks, with expected values that never enter a
sandbox. For each submission:

1. it is read once (regular files only, under a size cap: no symlink, FIFO or device) and parsed as a
   notebook; its chapter (the ``course_utils.exercises.chNN`` it imports) and language are found;
2. its code cells run, in order, errors allowed, in a sandbox of its own (``sandbox.py``: bubblewrap
   where it runs, with no network, a read-only view of its own copy of the pack's public part, a private
   scratch folder, memory, process, file-size and wall-clock limits, every process killed at the end);
   what it prints is counted, never read for grading;
3. each exercise's answer is taken by name (the last definition in the cells that ran), with the
   notebook's imports and the functions, classes and literal constants it uses, nothing else;
4. a fresh sandbox runs those answers on the held-back inputs and hands their outputs back on a pipe;
   the grader checks their size, loads them as plain tensors and compares them here with the expected
   values. The exercise's mode comes from the release, never from the answer. A shipped checker (an answer
   that returns a model) runs inside the answer's sandbox: its pass is reported as ``review``, not ``pass``.

Results: the CSV (learner, submission, chapter, lang, exercise, answer, status, message_en, message_hi,
flags; status is pass, fail, missing, review or invalid) and one feedback file per learner in the
notebook's language, both written as each learner finishes; at the end the CSV is rewritten in
submission order with the flags (answers identical across learners). Protections and limits:
INSTRUCTORS.md.
"""
from __future__ import annotations

import argparse
import ast
import csv
import hashlib
import io
import json
import os
import re
import shutil
import stat
import sys
import tempfile
import threading
import unicodedata
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import torch
from tqdm.auto import tqdm

from course_utils.exercises import NotAttempted, Wrong
from course_utils.tools import sandbox, stored
from course_utils.tools.release import GRADING_FILE, RELEASE_FILE, grading_dir_for, stub_body

COLUMNS = ["learner", "submission", "chapter", "lang", "exercise", "answer", "status", "message_en", "message_hi",
           "flags"]
STATUSES = ("pass", "fail", "missing", "review", "invalid")
MAX_RESULT_BYTES = 64_000_000          # one submission's outputs, as sent back (uncompressed: checked before loading)
MAX_NOTEBOOK_BYTES = 20_000_000
STARTUP = 60.0                         # seconds a sandbox may take to start Python and torch (not the learner's)
MAX_FILE_BYTES = 500_000_000           # a file of the pack or the grading set


def read_regular(path: Path, cap: int) -> bytes:
    """The bytes of `path` if it is a regular file of at most `cap` bytes (never a symlink, FIFO or device).

    Raises ValueError with the reason otherwise; the file is opened without following links or blocking.
    """
    try:
        st = os.lstat(path)
    except OSError as err:
        raise ValueError(f"cannot be read ({err.strerror})") from err
    if stat.S_ISLNK(st.st_mode):
        raise ValueError("is a symbolic link, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise ValueError("is not a regular file (a FIFO, a device or a folder)")
    if st.st_size > cap:
        raise ValueError(f"is {st.st_size:,} bytes, more than the limit of {cap:,}")
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        st2 = os.fstat(fd)
        if not stat.S_ISREG(st2.st_mode) or (st2.st_ino, st2.st_dev) != (st.st_ino, st.st_dev):
            raise ValueError("changed while it was read")
        chunks, size = [], 0
        while True:
            b = os.read(fd, 1 << 20)
            if not b:
                break
            size += len(b)
            if size > cap:
                raise ValueError(f"is more than the limit of {cap:,} bytes")
            chunks.append(b)
        return b"".join(chunks)
    finally:
        os.close(fd)


def safe_load(data: bytes, cap: int = MAX_RESULT_BYTES) -> Any:
    """torch.load(weights_only=True) of bytes an answer sent, after checking their real (uncompressed) size."""
    if len(data) > cap:
        raise ValueError(f"{len(data):,} bytes")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
        if len(infos) > 100_000 or any(i.compress_type != zipfile.ZIP_STORED for i in infos):
            raise ValueError("compressed entries")
        if sum(i.file_size for i in infos) > cap:
            raise ValueError("too large once unpacked")
    return torch.load(io.BytesIO(data), weights_only=True)


# ---------------------------------------------------------------- the pack and the grading set, read once
@dataclass
class Pack:
    root: Path
    files: dict[str, bytes]               # every file of course_utils/ in the pack, as released (a snapshot)
    record: dict                          # the pack's release.json
    modes: dict[str, str]                 # "01-ex1" -> stored | shipped (the grading set's record)
    expected: dict[str, dict]             # "01-ex1" -> the held-back expected values (never leave the grader)
    inputs: dict[str, bytes]              # "01-ex1" -> the held-back inputs file (bytes), for the sandbox
    inputs_loaded: dict[str, dict]        # the same, loaded here (the properties that look at an input)

    @classmethod
    def load(cls, root: Path, grading: Path | None = None) -> "Pack":
        root = Path(root)
        grading = Path(grading) if grading else grading_dir_for(root)
        if not (root / RELEASE_FILE).is_file():
            raise SystemExit(f"{root} is not a released pack (no {RELEASE_FILE}); make one with "
                             "python -m course_utils.tools.release --chapters ... --out DIR")
        if not (grading / GRADING_FILE).is_file():
            raise SystemExit(f"no held-back grading set at {grading} (no {GRADING_FILE}): the release writes it next "
                             "to the pack (PACK-grading); pass --grading DIR if you moved it, or release again")
        record = json.loads(read_regular(root / RELEASE_FILE, MAX_FILE_BYTES))
        held = json.loads(read_regular(grading / GRADING_FILE, MAX_FILE_BYTES))
        files = {}
        for dirpath, dirnames, filenames in os.walk(root / "course_utils", followlinks=False):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            for name in filenames:
                p = Path(dirpath) / name
                try:
                    files[str(p.relative_to(root))] = read_regular(p, MAX_FILE_BYTES)
                except ValueError:
                    continue                       # only the pack's own regular files
        modes = {f"{e['chapter']}-ex{e['number']}": e["mode"] for e in held["exercises"]}
        expected, inputs, loaded = {}, {}, {}
        for e in held["exercises"]:
            key = f"{e['chapter']}-ex{e['number']}"
            if e["mode"] != "stored":
                continue
            folder = grading / e["slug"]
            expected[key] = torch.load(io.BytesIO(read_regular(folder / f"ex{e['number']}.expected.pt",
                                                               MAX_FILE_BYTES)), weights_only=True)
            inputs[key] = read_regular(folder / f"ex{e['number']}.inputs.pt", MAX_FILE_BYTES)
            loaded[key] = torch.load(io.BytesIO(inputs[key]), weights_only=False)    # the instructor's own file
        return cls(root, files, record, modes, expected, inputs, loaded)

    def write(self, dest: Path) -> Path:
        """The pack's public part in `dest`, what a sandbox sees (read-only): its library, without the self-check
        expected values (a notebook's own `exN.check` then says at once that it is being graded)."""
        for rel, data in self.files.items():
            if rel.endswith(".expected.pt"):
                continue
            path = dest / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return dest

    def write_inputs(self, dest: Path, chapter: str) -> Path:
        """The held-back inputs (never the expected values) of `chapter`'s stored exercises, for its sandboxes."""
        dest.mkdir(parents=True, exist_ok=True)
        for e in self.exercises(chapter):
            key = f"{e['chapter']}-ex{e['number']}"
            if key in self.inputs:
                (dest / f"{key}.inputs.pt").write_bytes(self.inputs[key])
        return dest

    def exercises(self, chapter: str) -> list[dict]:
        return [e for e in self.record["exercises"] if e["chapter"] == chapter]

    def mode(self, key: str) -> str:
        return self.modes.get(key, "missing")


# ---------------------------------------------------------------- one submission
@dataclass
class Submission:
    index: int
    path: Path
    learner: str
    shown: str                            # the submission column: its path under the folder it came from
    data: bytes | None = None
    error: str = ""


@dataclass
class Result:
    learner: str
    submission: str
    index: int = 0
    chapter: str = ""
    lang: str = ""
    rows: list[dict] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)     # (en, hi) about the notebook as a whole
    answers: dict[str, str] = field(default_factory=dict)          # exercise -> hash of the answer's source
    file_hash: str = ""

    def row(self, exercise: str, answer: str, status: str, en: str, hi: str) -> None:
        self.rows.append({"learner": self.learner, "submission": self.submission, "chapter": self.chapter,
                          "lang": self.lang, "exercise": exercise, "answer": answer, "status": status,
                          "message_en": en, "message_hi": hi, "flags": ""})


def learner_of(path: Path, base: Path | None = None) -> str:
    """The learner's name.

    In a folder of submissions, a file in a sub-folder belongs to that sub-folder's learner (the folder the
    course platform made, not a name the learner chose); a file directly in the folder, or a file passed
    by name, is its stem, or its folder's name when the file is named after the chapter.
    """
    if base is not None:
        rel = path.relative_to(base)
        if len(rel.parts) > 1:
            return rel.parts[0]
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
    lang = (nb.metadata.get("course") or {}).get("language") if isinstance(nb.metadata, dict) else None
    if lang in ("hi", "en"):
        return lang
    text = " ".join(c.get("source", "") for c in nb.cells if c.get("cell_type") == "markdown")
    deva = sum("\u0900" <= ch <= "\u097f" for ch in text)
    return "hi" if deva > 0.1 * max(1, sum(ch.isalpha() for ch in text)) else "en"


class Frames:
    """The messages of a sandbox's result pipe, parsed as they come: JSON lines, some followed by raw bytes."""

    def __init__(self) -> None:
        self.pos = 0
        self.messages: list[tuple[dict, int, int]] = []       # (message, payload start, payload end)
        self.broken = False

    def feed(self, data: bytes) -> list[dict]:
        new = []
        while not self.broken and self.pos < len(data):
            nl = data.find(b"\n", self.pos, self.pos + 100_000)
            if nl < 0:
                if len(data) - self.pos > 100_000:
                    self.broken = True
                break
            try:
                msg = json.loads(data[self.pos:nl])
            except (ValueError, RecursionError):
                self.broken = True
                break
            n = msg.get("bytes", 0) if isinstance(msg, dict) else -1
            if not isinstance(n, int) or isinstance(n, bool) or n < 0:
                self.broken = True
                break
            if nl + 1 + n > len(data):
                break                                            # the payload is still coming
            self.messages.append((msg, nl + 1, nl + 1 + n))
            new.append(msg)
            self.pos = nl + 1 + n
        return new


def _cells(nb: Any) -> list[list]:
    return [[i, c["source"]] for i, c in enumerate(nb.cells) if c.get("cell_type") == "code"]


def execute(nb: Any, how: str, scratch: Path, pack: Path, timeout: float, cap: int,
            limits: sandbox.Limits) -> tuple[set[int], list[tuple[str, str]]]:
    """Run the code cells of `nb` in a sandbox; return the indices of the cells that ran, and notes.

    The time limit counts from the moment the first cell starts (Python's start-up, at most STARTUP
    seconds, does not count); the grader keeps the time, and the sandbox is killed when it runs out.
    """
    frames = Frames()
    first: list[float] = []

    def watch(data: bytearray | bytes, spent: float) -> bool:
        if frames.feed(data) and not first:
            first.append(spent)
        if not first:
            return spent > STARTUP
        return spent - first[0] > timeout

    run = sandbox.run(how, "notebook", json.dumps({"cells": _cells(nb)}).encode(), pack=pack,
                      scratch=scratch, limits=limits, wall=timeout + STARTUP, channel_cap=4_000_000, watch=watch)
    frames.feed(run.channel)
    ran: set[int] = set()
    started: list[int] = []
    finished = False
    notes: list[tuple[str, str]] = []
    code = {i for i, _ in _cells(nb)}
    for m, _, _ in frames.messages:
        if not isinstance(m, dict):
            continue
        if m.get("start") in code:
            started.append(m["start"])
        elif m.get("ran") in code:
            ran.add(m["ran"])
            err = m.get("error")
            if isinstance(err, list) and len(err) == 2:
                ename, evalue = str(err[0])[:80], str(err[1])[:200]
                notes.append((f"cell {m['ran'] + 1} raised {ename}: {evalue}",
                              f"cell {m['ran'] + 1} में {ename} आई: {evalue}"))
        elif m.get("finished") is True:
            finished = True
    at = (started[-1] + 1) if started else 1
    if run.timed_out:
        notes.append((f"the notebook hit the time limit of {timeout:g} s at cell {at}; the cells after it did not run",
                      f"notebook {timeout:g} s की time limit पर cell {at} में रुका; उसके बाद के cells नहीं चले"))
    elif not finished:
        notes.append((f"the kernel died at cell {at} (the process ended or was killed: memory limit?)",
                      f"cell {at} पर kernel बंद हो गया (process खत्म हुआ या रोका गया: memory limit?)"))
    if run.printed > cap:
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
    except (SyntaxError, ValueError, MemoryError, RecursionError):   # a pathological cell: skipped, never fatal
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
        for cell in nb.cells:
            if cell.get("cell_type") == "raw" and re.search(rf"^def\s+{re.escape(name)}\b", cell.get("source", ""), re.M):
                return None, "raw"
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


# ---------------------------------------------------------------- running the answers (learner's code, sandboxed)
def run_answers(jobs: list[dict], how: str, scratch: Path, pack: Pack, pack_copy: Path, limit: float,
                limits: sandbox.Limits) -> dict[str, tuple[dict, bytes]]:
    """Run the answers in a fresh sandbox per round; key -> (message, payload) as the sandbox sent them.

    The grader's own clock times each answer from the moment it sees the answer start; an answer over
    `limit` seconds is stopped (its sandbox killed) and marked, and the answers after it run in a new
    sandbox. A result counts only for the answer that is running when it comes. Nothing the answer writes
    lengthens a limit: every round also ends `limit` seconds per answer after its first answer started,
    and all rounds together get at most `limit` seconds per answer (plus start-ups).
    """
    results: dict[str, tuple[dict, bytes]] = {}
    todo = list(jobs)
    budget = limit * len(jobs)
    round_ = 0
    while todo:
        round_ += 1
        here = scratch / f"answers{round_}"
        here.mkdir(parents=True)
        lib = pack_copy if how == "bwrap" else pack.write(here / "pack")          # fallback: a fresh copy each time
        inputs = pack.write_inputs(here / "inputs", todo[0]["key"][:2])
        keys = [j["key"] for j in todo]
        job = {"exercises": [{**{k: j[k] for k in ("key", "name", "source", "mode", "module", "number")},
                              "inputs": f"{j['key']}.inputs.pt"} for j in todo]}
        frames = Frames()
        seen: dict[str, float] = {}
        got: dict[str, tuple[dict, int, int]] = {}
        state: dict[str, Any] = {"current": None, "timed_out": None, "over": False}
        allowed = min(budget, limit * len(todo))

        def watch(data: bytearray | bytes, spent: float) -> bool:
            frames.feed(data)
            for m, a, b in frames.messages[state.setdefault("done", 0):]:
                state["done"] += 1
                if not isinstance(m, dict):
                    continue
                k = m.get("start")
                if k in keys and k not in seen:
                    seen[k] = spent
                    state["current"] = k
                elif m.get("result") is not None and m.get("result") == state["current"]:
                    got[state["current"]] = (m, a, b)
                    state["current"] = None
            if not seen:
                return spent > STARTUP
            cur = state["current"]
            if cur is not None and spent - seen[cur] > limit:
                state["timed_out"] = cur
                return True
            if spent - min(seen.values()) > allowed:
                state["over"] = True
                return True
            return False

        run = sandbox.run(how, "answers", json.dumps(job).encode(), pack=lib, scratch=here, limits=limits,
                          wall=STARTUP + allowed + 5, channel_cap=MAX_RESULT_BYTES + 1_000_000, inputs=inputs,
                          watch=watch)
        watch(run.channel, run.seconds)
        spent = max([0.0, *[run.seconds - t for t in seen.values()]])
        budget -= min(spent, allowed)
        for k, (m, a, b) in got.items():
            results[k] = (m, run.channel[a:b])
        cur = state["current"]
        if state["timed_out"] is None and cur is not None and (run.timed_out or state["over"]):
            state["timed_out"] = cur
        if state["timed_out"] is not None:
            results[state["timed_out"]] = ({"kind": "timeout"}, b"")
        stopped = [k for k in seen if k not in results]
        for k in stopped:
            results[k] = ({"kind": "error", "en": "the check process stopped during this answer (the answer ended it, "
                           "or it hit the memory limit)",
                           "hi": "इस answer के दौरान check का process रुक गया (answer ने उसे बंद किया, या memory limit)"}, b"")
        left = [j for j in todo if j["key"] not in results]
        if left and (not seen or budget <= 0):
            why = (("the check process did not start (it stopped before the first answer)",
                    "check का process शुरू नहीं हुआ (पहले answer से पहले रुक गया)") if not seen else
                   (f"time limit: the answers together ran longer than {limit:g} s each and were stopped",
                    f"time limit: answers मिलकर हर एक के {limit:g} s से ज़्यादा चले और रोक दिए गए"))
            for j in left:                  # no progress, or no time left: do not loop
                results[j["key"]] = ({"kind": "error", "en": why[0], "hi": why[1]}, b"")
            left = []
        todo = left
    return results


def verdict(key: str, mode: str, got: tuple[dict, bytes] | None, pack: Pack, limit: float) -> tuple[str, str, str]:
    """(status, en, hi): the answer's outputs compared here with the held-back expected values.

    The exercise's mode is the release's; a message's claims are never taken for a verdict.
    """
    msg, payload = got if got is not None else ({}, b"")
    kind = msg.get("kind")
    en, hi = str(msg.get("en", ""))[:500], str(msg.get("hi", ""))[:500]
    if kind == "timeout":
        return ("fail", f"time limit: the answer ran longer than {limit:g} s on the checks and was stopped",
                f"time limit: answer checks पर {limit:g} s से ज़्यादा चला और रोक दिया गया")
    if kind == "missing":
        return "missing", en, hi
    if kind == "error":
        return "fail", en or "your function failed", hi or "आपका function fail हुआ"
    if mode == "stored" and kind == "records":
        try:
            records = safe_load(payload)["records"]
            stored.compare(pack.expected[key], records, pack.inputs_loaded.get(key))
        except NotAttempted:
            return "missing", "not attempted: the function is still the stub", "अभी कोशिश नहीं की: function अभी stub ही है"
        except Wrong as w:
            return "fail", str(w.en)[:500], str(w.hi)[:500]
        except Exception as err:  # noqa: BLE001  outputs the answer's process broke or forged
            return ("fail", f"the answer's results could not be read ({type(err).__name__})",
                    "answer के results पढ़े नहीं जा सके")
        return "pass", "", ""
    if mode == "shipped" and kind == "shipped":
        outcome = msg.get("outcome")
        if outcome == "correct":
            return ("review", "the course's checker passed this answer, but it ran inside the answer's own process "
                    "(the answer returns a model), which can tamper with it: read the code before you count it",
                    "course के checker ने यह answer पास किया, पर checker answer के अपने process में चला (answer एक "
                    "model लौटाता है), जो उससे छेड़छाड़ कर सकता है: गिनने से पहले code पढ़ें")
        if outcome == "incorrect":
            return "fail", en, hi
        return "missing", "not attempted: the function is still the stub", "अभी कोशिश नहीं की: function अभी stub ही है"
    return "fail", "no result", "कोई result नहीं"


def _source_hash(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def grade_one(sub: Submission, pack: Pack, chapters: list[str], root: Path, how: str, pack_copy: Path,
              timeout: float, limit: float, cap: int, limits: sandbox.Limits) -> Result:
    res = Result(sub.learner, sub.shown, sub.index)
    if sub.data is None:
        res.row("", "", "invalid", f"not graded: the file {sub.error}; hand in the notebook file itself",
                f"grade नहीं हुआ: file {sub.error}; notebook file खुद जमा करें")
        return res
    res.file_hash = hashlib.sha256(sub.data).hexdigest()[:16]
    try:
        nb = nbformat.reads(sub.data.decode("utf-8"), as_version=4)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("no cells")
    except Exception as err:  # noqa: BLE001  (RecursionError and MemoryError too)
        res.row("", "", "invalid", f"not a notebook: {type(err).__name__}: {str(err)[:200]}; hand in the .ipynb file",
                f"यह notebook नहीं है: {type(err).__name__}; .ipynb file जमा करें")
        return res
    for i, cell in enumerate(nb.cells):
        if not isinstance(cell, dict) or not isinstance(cell.get("source", ""), str) \
                or not isinstance(cell.get("cell_type", ""), str):
            what = type(cell.get("source")).__name__ if isinstance(cell, dict) else type(cell).__name__
            res.row("", "", "invalid", f"not a notebook Jupyter wrote: cell {i + 1}'s source is not text (it is "
                    f"{what}); open the notebook in Jupyter, save it and hand it in again",
                    f"यह Jupyter का लिखा notebook नहीं है: cell {i + 1} का source text नहीं है ({what}); notebook "
                    "Jupyter में खोलें, save करें और फिर जमा करें")
            return res
    res.chapter, res.lang = chapter_of(nb) or "", language_of(nb)
    if res.chapter not in chapters:
        what = f"chapter {res.chapter}" if res.chapter else "no chapter of the course"
        res.row("", "", "invalid", f"wrong chapter: this notebook is {what}; the assignment is chapter "
                f"{', '.join(chapters)}", f"गलत chapter: यह notebook {what.replace('no chapter of the course', 'course का कोई chapter नहीं')} "
                f"है; assignment chapter {', '.join(chapters)} का है")
        return res
    scratch = root / f"sub-{sub.index}"
    scratch.mkdir(mode=0o700)
    try:
        lib = pack_copy if how == "bwrap" else pack.write(scratch / "kernel_pack")
        ran, res.notes = execute(nb, how, scratch / "kernel", lib, timeout, cap, limits)
        jobs, static = [], {}
        for e in pack.exercises(res.chapter):
            key = f"{e['chapter']}-ex{e['number']}"
            source, why = answer_source(nb, ran, e["answer"])
            if source is None:
                static[key] = why
            else:
                res.answers[f"ex{e['number']}"] = _source_hash(source)
                jobs.append({"key": key, "module": e["module"], "number": e["number"], "name": e["answer"],
                             "mode": pack.mode(key), "source": source})
        results = run_answers(jobs, how, scratch, pack, pack_copy, limit, limits) if jobs else {}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    stopped = next((n for n in res.notes if "time limit" in n[0] or "kernel died" in n[0]), None)
    for e in pack.exercises(res.chapter):
        key = f"{e['chapter']}-ex{e['number']}"
        if key in static:
            if static[key] == "stub":
                en, hi = "not attempted: the function is still the stub", "अभी कोशिश नहीं की: function अभी stub ही है"
            elif static[key] == "raw":
                en, hi = (f"`{e['answer']}` is in a raw cell, which never runs: make it a code cell",
                          f"`{e['answer']}` एक raw cell में है, जो कभी नहीं चलता: उसे code cell बनाएँ")
            else:
                en, hi = f"`{e['answer']}` is not defined in the notebook", f"notebook में `{e['answer']}` define नहीं है"
                if stopped:
                    en, hi = f"{en} ({stopped[0]})", f"{hi} ({stopped[1]})"
            res.row(f"ex{e['number']}", e["answer"], "missing", en, hi)
        else:
            res.row(f"ex{e['number']}", e["answer"], *verdict(key, pack.mode(key), results.get(key), pack, limit))
    return res


# ---------------------------------------------------------------- names, feedback, the CSV
FEEDBACK = {
    "en": {"title": "Feedback", "pass": "✓ correct", "fail": "✗ not yet", "missing": "○ missing",
           "review": "? to be read by the instructor", "invalid": "✗ not graded", "score": "Score",
           "notes": "About the notebook"},
    "hi": {"title": "Feedback", "pass": "✓ सही", "fail": "✗ अभी सही नहीं", "missing": "○ नहीं मिला",
           "review": "? instructor पढ़कर तय करेंगे", "invalid": "✗ grade नहीं हुआ", "score": "Score",
           "notes": "Notebook के बारे में"},
}
_SANDBOX_PATHS = re.compile(r"/sandbox/(?:work|pack|inputs|data)[^\s'\"]*|/sandbox/run\.py")


def clean(text: str, hide: list[str]) -> str:
    """A message without the grader's machine paths (scratch, pack, grading set) or the sandbox's."""
    text = str(text)
    for h in hide:
        if h:
            text = text.replace(h, "<grader>")
    return _SANDBOX_PATHS.sub("<sandbox>", text)


def md(text: str) -> str:
    """`text` as one line of Markdown that shows as written (no headings, links, emphasis, HTML or comments)."""
    text = " ".join(str(text).split())
    return re.sub(r"([\\`*_\[\]<>|~#!])", r"\\\1", text)


def csv_cell(value: Any) -> str:
    """A CSV field a spreadsheet shows as text (a leading =, +, -, @ or control character would make a formula)."""
    v = str(value)
    return "'" + v if v[:1] in ("=", "+", "-", "@", "\t", "\r", "\n") else v


def file_stems(learners: list[str]) -> dict[str, str]:
    """A feedback file name (stem) per learner: readable in any script, never shared by two learners."""
    def stem(name: str) -> str:
        s = unicodedata.normalize("NFC", name)
        s = "".join(ch if unicodedata.category(ch)[0] in "LMN" or ch in "-_" else "_" for ch in s)[:80]
        return s if s and s[0] not in "-." else "_" + s
    stems = {n: stem(n) for n in learners}
    counts: dict[str, int] = {}
    for s in stems.values():
        counts[s.casefold()] = counts.get(s.casefold(), 0) + 1
    return {n: (s if counts[s.casefold()] == 1 else f"{s}-{hashlib.sha256(n.encode()).hexdigest()[:6]}")
            for n, s in stems.items()}


def feedback(results: list[Result]) -> str:
    lang = results[0].lang or "en"
    t = FEEDBACK[lang]
    msg = "message_hi" if lang == "hi" else "message_en"
    lines = [f"# {t['title']}: {md(results[0].learner)}", ""]
    for r in results:
        graded = [x for x in r.rows if x["exercise"]]
        head = f"## {md(r.submission)}" + (f" (chapter {r.chapter})" if r.chapter else "")
        lines += [head, ""]
        if graded:
            review = sum(x["status"] == "review" for x in graded)
            later = ("" if not review else f" ({review} {'और instructor पढ़कर तय करेंगे' if lang == 'hi' else 'more to be read by your instructor'})")
            lines += [f"**{t['score']}:** {sum(x['status'] == 'pass' for x in graded)}/{len(graded)}{later}", ""]
        for x in r.rows:
            text = x[msg] if lang == "hi" or not x["message_en"] else x["message_en"]
            if not x["exercise"] and lang == "en":
                text = x["message_en"]
            elif not x["exercise"]:
                text = f"{x['message_hi']} / {x['message_en']}"
            label = f"{x['exercise']} `{x['answer']}`: " if x["exercise"] else ""      # names from the release
            lines.append(f"- {label}{t[x['status']]}" + (f": {md(text)}" if text else ""))
        if r.notes:
            lines += ["", f"**{t['notes']}:**", ""]
            lines += [f"- {md(n[1] if lang == 'hi' else n[0])}" for n in r.notes]
        lines.append("")
    return "\n".join(lines)


def reachable_checkout() -> Path | None:
    """The course checkout (with solutions) that this Python imports course_utils from, if any."""
    import course_utils

    path = Path(course_utils.__file__).resolve().parents[1]
    return path if (path / "solutions").is_dir() else None


def submissions_in(paths: list[Path]) -> list[tuple[Path, Path | None]]:
    """(file, the folder it was found in or None) for every .ipynb in `paths` (folders walked, links never followed)."""
    out: list[tuple[Path, Path | None]] = []
    for p in paths:
        if p.is_dir() and not p.is_symlink():
            found = []
            for dirpath, dirnames, filenames in os.walk(p, followlinks=False):
                dirnames[:] = sorted(d for d in dirnames if d != ".ipynb_checkpoints")
                found += [Path(dirpath) / f for f in filenames if f.endswith(".ipynb")]
            out += [(f, p) for f in sorted(found)]
        else:
            out.append((p, None))
    return out


class Writer:
    """Writes the CSV and the feedback files as each submission finishes (a crash later loses nothing)."""

    def __init__(self, out: Path, feedback_dir: Path, stems: dict[str, str], hide: list[str]):
        self.out, self.feedback_dir, self.stems, self.hide = out, feedback_dir, stems, hide
        self.lock = threading.Lock()
        self.by_learner: dict[str, list[Result]] = {}
        out.parent.mkdir(parents=True, exist_ok=True)
        feedback_dir.mkdir(parents=True, exist_ok=True)
        with out.open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerow(COLUMNS)

    def tidy(self, res: Result) -> None:
        for r in res.rows:
            for k in ("message_en", "message_hi"):
                r[k] = clean(r[k], self.hide)
        res.notes = [(clean(a, self.hide), clean(b, self.hide)) for a, b in res.notes]

    def add(self, res: Result) -> None:
        self.tidy(res)
        with self.lock:
            with self.out.open("a", newline="", encoding="utf-8") as f:
                w = csv.writer(f)
                for r in res.rows:
                    w.writerow([csv_cell(r[c]) for c in COLUMNS])
                f.flush()
                os.fsync(f.fileno())
            rs = self.by_learner.setdefault(res.learner, [])
            rs.append(res)
            rs.sort(key=lambda r: r.index)
            path = self.feedback_dir / f"{self.stems[res.learner]}.md"
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(feedback(rs), encoding="utf-8")
            os.replace(tmp, path)

    def finish(self, results: list[Result]) -> list[dict]:
        """Flag identical answers across learners; rewrite the CSV in submission order, atomically."""
        groups: dict[tuple, set[str]] = {}
        files: dict[str, set[str]] = {}
        for r in results:
            for ex, h in r.answers.items():
                groups.setdefault((r.chapter, ex, h), set()).add(r.learner)
            if r.file_hash and r.chapter:
                files.setdefault(r.file_hash, set()).add(r.learner)
        for r in results:
            same_file = sorted(files.get(r.file_hash, set()) - {r.learner}) if r.file_hash else []
            for row in r.rows:
                flags = []
                if same_file:
                    flags.append("same notebook file as: " + ", ".join(same_file))
                h = r.answers.get(row["exercise"])
                others = sorted(groups.get((r.chapter, row["exercise"], h), set()) - {r.learner}) if h else []
                if others and row["status"] in ("pass", "review", "fail"):
                    flags.append("same answer as: " + ", ".join(others))
                row["flags"] = "; ".join(flags)
        rows = [row for r in sorted(results, key=lambda r: r.index) for row in r.rows]
        tmp = self.out.with_name(self.out.name + ".tmp")
        with tmp.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(COLUMNS)
            for row in rows:
                w.writerow([csv_cell(row[c]) for c in COLUMNS])
        os.replace(tmp, self.out)
        return rows


def grade(paths: list[Path], pack_dir: Path, out: Path, chapters: list[str] | None = None,
          feedback_dir: Path | None = None, timeout: float = 600, limit: float = 60, cap: int = 2_000_000,
          progress: bool = True, jobs: int = 1, sandbox_mode: str = "auto", grading: Path | None = None,
          limits: sandbox.Limits | None = None, max_notebook: int = MAX_NOTEBOOK_BYTES) -> list[dict]:
    if os.environ.get("COURSE_THREADS"):          # the comparisons, on a shared machine
        torch.set_num_threads(max(1, int(os.environ["COURSE_THREADS"])))
    pack = Pack.load(pack_dir, grading)
    chapters = [c.zfill(2) for c in chapters] if chapters else list(pack.record["chapters"])
    missing = [c for c in chapters if c not in pack.record["chapters"]]
    if missing:
        raise SystemExit(f"the pack {pack_dir} has no chapter {' '.join(missing)}; it has {' '.join(pack.record['chapters'])}")
    if jobs < 1:
        raise SystemExit(f"--jobs must be at least 1, got {jobs}")
    found = submissions_in([Path(p) for p in paths])
    if not found:
        raise SystemExit("no submissions: pass notebook files or folders that hold them")
    how = sandbox.mode(sandbox_mode)
    limits = limits or sandbox.Limits()
    if how == "none":
        why = sandbox.bwrap_problem() if sandbox_mode == "auto" else "--sandbox none"
        print(f"note: no sandbox ({why}): learner code runs as your OS user, with time, memory and file-size limits "
              "and its processes killed at the end, but it can read your files and use the network (INSTRUCTORS.md, "
              "'What the grader protects against')", file=sys.stderr)
        checkout = reachable_checkout()
        if checkout:
            print(f"note: this Python has the course installed from {checkout}, which holds the solutions; without a "
                  "sandbox, code that searches the installation can find that folder", file=sys.stderr)
    subs = []
    for i, (p, base) in enumerate(found):     # every submission is read once, before any learner code runs
        sub = Submission(i, p, learner_of(p, base), str(p.relative_to(base)) if base else p.name)
        try:
            sub.data = read_regular(p, max_notebook)
        except ValueError as err:
            sub.error = str(err)
        except OSError as err:
            sub.error = f"cannot be read ({err.strerror})"
        subs.append(sub)
    root = Path(tempfile.mkdtemp(prefix="course-grade-"))
    os.chmod(root, 0o700)
    feedback_dir = Path(feedback_dir) if feedback_dir else Path(out).with_name(Path(out).stem + "_feedback")
    hide = [str(root), str(Path(pack_dir).resolve()), str(Path(grading or grading_dir_for(pack_dir)).resolve())]
    writer = Writer(Path(out), feedback_dir, file_stems(sorted({s.learner for s in subs})), hide)
    results: list[Result] = []
    pack_copy = pack.write(root / "pack")

    def one(sub: Submission) -> Result:
        try:
            res = grade_one(sub, pack, chapters, root, how, pack_copy, timeout, limit, cap, limits)
        except Exception as err:  # noqa: BLE001  one bad submission never stops the others
            res = Result(sub.learner, sub.shown, sub.index)
            res.row("", "", "invalid", f"the grader failed on this notebook: {type(err).__name__}: {err}"[:300],
                    f"इस notebook पर grader fail हुआ: {type(err).__name__}")
        writer.add(res)
        return res

    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for res in tqdm(pool.map(one, subs), total=len(subs), desc="grading", unit="notebook",
                            disable=not progress):
                results.append(res)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return writer.finish(results)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m course_utils.tools.grade", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("submissions", nargs="+", type=Path, help="returned notebooks, or folders of them")
    p.add_argument("--pack", required=True, type=Path, help="the pack released to the class (its public part runs)")
    p.add_argument("--grading", type=Path, help="the held-back grading set (default: PACK-grading next to the pack)")
    p.add_argument("--out", required=True, type=Path, help="the CSV to write")
    p.add_argument("--chapters", nargs="+", help="the assigned chapters (default: every chapter of the pack)")
    p.add_argument("--feedback", type=Path, help="folder of feedback files (default: next to --out)")
    p.add_argument("--timeout", type=float, default=600, help="seconds per notebook (default 600)")
    p.add_argument("--exercise-timeout", type=float, default=60, help="seconds per answer's checks (default 60)")
    p.add_argument("--max-output", type=int, default=2_000_000, help="bytes a notebook may print before it is noted")
    p.add_argument("--max-notebook", type=int, default=MAX_NOTEBOOK_BYTES, help="largest notebook file read (bytes)")
    p.add_argument("--memory", type=int, default=3072, help="MB of memory per sandbox (default 3072)")
    p.add_argument("--jobs", type=int, default=1, help="submissions graded at once (default 1; results are the same)")
    p.add_argument("--sandbox", default="auto", choices=["auto", "bwrap", "none"],
                   help="auto: bubblewrap if it runs here, else none (see INSTRUCTORS.md)")
    a = p.parse_args(argv)
    rows = grade(a.submissions, a.pack, a.out, a.chapters, a.feedback, a.timeout, a.exercise_timeout, a.max_output,
                 jobs=a.jobs, sandbox_mode=a.sandbox, grading=a.grading,
                 limits=sandbox.Limits(memory=a.memory << 20), max_notebook=a.max_notebook)
    counts = {s: sum(r["status"] == s for r in rows) for s in STATUSES}
    print(f"wrote {a.out}: " + ", ".join(f"{n} {s}" for s, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
