"""Grading a folder of planted submissions against a release of chapters 00-03: the exact expected CSV.

The submissions are made here from the real chapter views (tests/submissions/planted.py): all correct
(some written differently from the reference), all stubs, typical mistakes, and every attack of the
hostile-student report (tests/submissions/attacks.py, ATTACKS). The statuses are asserted exactly, the
messages by key phrases. The run uses the bubblewrap sandbox (Debian package bubblewrap); without it the
hostile expectations cannot hold, and the tests say so instead of passing.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import pytest

from course_utils.exercises import ch00, ch01, ch02, ch03
from course_utils.tools import grade as grade_tool
from course_utils.tools import release as rel
from course_utils.tools import sandbox
from exercise_kit import mnist_here
from submissions import attacks as A
from submissions.planted import PRELUDE, planted, shared_release, write

pytestmark = [pytest.mark.skipif(not mnist_here(), reason="needs MNIST (chapter 02's checks use real digits)"),
              pytest.mark.skipif(sandbox.bwrap_problem() is not None,
                                 reason=f"needs the bubblewrap sandbox: {sandbox.bwrap_problem()}")]

SOL = {m.ex1.chapter[:2]: {n: getattr(m, f"ex{n}").solution_code for n in (1, 2, 3) if hasattr(m, f"ex{n}")}
       for m in (ch00, ch01, ch02, ch03)}


def _sol(ch: str, n: int) -> str:
    return SOL[ch][n]


# ---------------------------------------------------------------- the planted answers
# correct, written differently from the reference where a checker must accept it
SAMPLE_LIKE_ROWS_FIRST = """
def sample_like(codes, n, generator):
    d = codes.shape[1]
    L = torch.linalg.cholesky(torch.cov(codes.T))
    eps = torch.randn(d, n, generator=generator).T      # another draw order than the reference
    return codes.mean(0) + eps @ L.T
"""
PCA_EIGH = """
def pca_svd(x, k):
    mean = x.mean(0)
    xc = (x - mean).double()
    w, v = torch.linalg.eigh(xc.T @ xc / (len(x) - 1))
    order = w.argsort(descending=True)[:k]
    return mean, v[:, order].T.float(), w[order].float()
"""
MASK_BERNOULLI = """
def masking_noise(x, p, generator):
    keep = torch.bernoulli(torch.full(x.shape, 1 - p), generator=generator)
    return x * keep
"""
MISTAKES = {
    "01": {"my_mse_per_image": "def my_mse_per_image(x_hat, x):\n    return F.mse_loss(x_hat, x)\n",
           "make_encoder_decoder": "def make_encoder_decoder(code_size, hidden):\n"
           "    enc = nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, code_size), nn.ReLU())\n"
           "    dec = nn.Sequential(nn.Linear(code_size, hidden), nn.ReLU(), nn.Linear(hidden, 784), nn.Sigmoid())\n"
           "    return enc, dec\n",
           "sample_like": "def sample_like(codes, n, generator):\n"
           "    eps = torch.randn(n, codes.shape[1], generator=generator)\n"
           "    return codes.mean(0) + eps * codes.std(0)\n"},
    "02": {"pca_svd": "def pca_svd(x, k):\n    _, s, vh = torch.linalg.svd(x, full_matrices=False)\n"
           "    return x.mean(0), vh[:k], s[:k] ** 2 / (len(x) - 1)\n",
           "angles_between": "def angles_between(a, b):\n"
           "    c = torch.linalg.svdvals(torch.linalg.qr(a).Q.T @ torch.linalg.qr(b).Q).clamp(0, 1)\n"
           "    return torch.rad2deg(torch.arccos(c))\n",
           "pca_test_error": "def pca_test_error(x_train, x_test, k):\n    mean = x_test.mean(0)\n"
           "    vh = torch.linalg.svd(x_test - mean, full_matrices=False)[2][:k]\n"
           "    return (((x_test - mean) @ vh.T @ vh + mean - x_test) ** 2).sum(1).mean()\n"},
    "03": {"kl_sparsity": "def kl_sparsity(a, rho):\n    r = a.mean(0)\n"
           "    return (r * torch.log(r / rho) + (1 - r) * torch.log((1 - r) / (1 - rho))).sum()\n",
           "masking_noise": "def masking_noise(x, p, generator):\n"
           "    keep = torch.rand(x.shape, generator=generator) >= p\n    return x * keep / (1 - p)\n",
           "auroc_by_hand": "def auroc_by_hand(scores, labels):\n    pos, neg = scores[labels], scores[~labels]\n"
           "    return float((pos[:, None] > neg[None, :]).float().mean())\n"},
}
RIGHT_01 = {"my_mse_per_image": _sol("01", 1), "make_encoder_decoder": _sol("01", 2), "sample_like": SAMPLE_LIKE_ROWS_FIRST}

# hostile, from before the report: get credit without the right answer from inside the notebook
CHEATER_CELLS = [
    "ex1.check = lambda answer: print('✅ Correct')\nex1.check(my_mse_per_image)\nprint('✓ सही / Correct')",
    "import course_utils.exercises.stored as stored_module\nstored_module.compare = lambda *a, **k: None\n"
    "import course_utils.exercises as framework\nframework.Exercise.grade = lambda self, answer=None: "
    "framework.Outcome('correct')\nimport torch\ntorch.allclose = lambda *a, **k: True",
]
CHEAT_MSE = """
def my_mse_per_image(x_hat, x):
    import course_utils.exercises.stored as s
    s.compare = lambda *a, **k: None            # patched in the answer's own process only
    print("✅ Correct")
    return torch.tensor(0.0, requires_grad=True)
"""
CHEAT_SAMPLE = """
def sample_like(codes, n, generator):
    import sys
    sys.stdout.write('{"status": "shipped", "outcome": "correct"}\\n✅ Correct\\n')
    return torch.zeros(n, codes.shape[1])
"""
SNOOP_MSE = """
def my_mse_per_image(x_hat, x):
    import glob, os, course_utils
    import course_utils.exercises.ch01 as m
    found = []
    for base in (os.path.dirname(course_utils.__file__), os.getcwd(), os.path.expanduser("~"),
                 os.path.join(os.getcwd(), "..", ".."), os.environ.get("PYTHONPATH", ".")):
        found += glob.glob(os.path.join(base, "**", "solutions", "**", "*.ipynb"), recursive=True)
    if m.ex1.solution_code or hasattr(m, "_reference_mse"):
        found.append("module")
    for where in (os.path.join(os.getcwd(), "..", ".."), os.path.expanduser("~"), "/tmp", "/sandbox"):
        try:
            open(os.path.join(where, "escape.txt"), "w").write("out")
        except OSError:
            pass
    if found:                                   # a reference would have been found: take credit with it
        return (x_hat - x).pow(2).flatten(1).sum(1).mean()
    return torch.tensor(-1.0, requires_grad=True)
"""


def _tamper_cell(submissions: Path, pack: Path) -> str:
    """A cell that overwrites another learner's submission and the instructor's pack (knowing their paths)."""
    return (f"import glob, pathlib\nfor p in glob.glob({str(submissions)!r} + '/*.ipynb'):\n"
            "    if 'snoop' not in p: pathlib.Path(p).write_text('garbage')\n"
            f"for p in glob.glob({str(pack)!r} + '/course_utils/exercises/**/*.pt', recursive=True):\n"
            "    pathlib.Path(p).write_bytes(b'garbage')\n"
            f"pathlib.Path({str(pack)!r} + '/course_utils/exercises/stored.py').write_text('def compare(*a): pass')\n")


def _raw(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """`nb` with the code cell that defines `name` turned into a raw cell (which never runs)."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and f"def {name}(" in cell.source:
            nb.cells[i] = nbformat.v4.new_raw_cell(cell.source)
    return nb


# ---------------------------------------------------------------- the run
STUB = ("missing", "stub")
MISSING3 = {"ex1": STUB, "ex2": STUB, "ex3": STUB}
REVIEW = ("review", "read the code")
EXPECTED = {   # learner -> {exercise: (status, key phrase of message_en or "")}
    "correct_01": {"ex1": ("pass", ""), "ex2": REVIEW, "ex3": ("pass", "")},
    "correct_02": {"ex1": ("pass", ""), "ex2": ("pass", ""), "ex3": ("pass", "")},
    "correct_03": {"ex1": ("pass", ""), "ex2": ("pass", ""), "ex3": ("pass", "")},
    "stubs_01": MISSING3,
    "mistakes_01": {"ex1": ("fail", "got"), "ex2": ("fail", "the encoder ends with nn.ReLU()"),
                    "ex3": ("fail", "covariance")},
    "mistakes_02": {"ex1": ("fail", "value 2"), "ex2": ("fail", "differ from the expected"), "ex3": ("fail", "got")},
    "mistakes_03": {"ex1": ("fail", "got"), "ex2": ("fail", "distribution"), "ex3": ("fail", "got")},
    "not_a_notebook": {"": ("invalid", "not a notebook")},
    "corrupt_json": {"": ("invalid", "not a notebook")},
    "wrong_chapter": {"": ("invalid", "wrong chapter: this notebook is chapter 00")},
    "first_cell_raises": {"ex1": ("pass", ""), "ex2": STUB, "ex3": ("fail", "covariance")},
    "cheater": {"ex1": ("fail", "got 0"), "ex2": ("fail", "returned None"), "ex3": ("fail", "distribution")},
    "a_snooper": {"ex1": ("fail", "got -1"), "ex2": REVIEW, "ex3": STUB},
    "huge_output": {"ex1": ("pass", ""), "ex2": STUB, "ex3": STUB},
    # the report's attacks (tests/submissions/attacks.py: ATTACKS)
    "forger": {"ex1": ("fail", "no result"), "ex2": STUB, "ex3": ("fail", "no result")},
    "thief": {"ex1": ("fail", "got -1"), "ex2": STUB, "ex3": ("fail", "found nothing to copy")},
    "tricks": {"ex1": ("pass", ""), "ex2": REVIEW, "ex3": ("fail", "copies of the input's rows")},
    '=HYPERLINK("x.invalid","ok")': {"ex1": ("fail", "ValueError: oops"), "ex2": STUB,
                                     "ex3": ("fail", "cannot be compared")},
    "bomber": {"ex1": ("fail", "could not be read (ValueError)"), "ex2": STUB,
               "ex3": ("fail", "could not be read (BadZipFile)")},
    "limits": {"ex1": ("fail", "bigfile=errno27 net=no checkout=False root_user=False"), "ex2": STUB, "ex3": STUB},
    "oddvalues": {"ex1": ("fail", "NaN"), "ex2": ("fail", ""), "ex3": ("fail", "")},
    "oddcells": {"ex1": ("pass", ""), "ex2": STUB, "ex3": ("missing", "raw cell")},
    "twin": {"ex1": ("pass", ""), "ex2": REVIEW, "ex3": ("pass", "")},
    "bob": MISSING3,
    "mallory": {"": ("invalid", "symbolic link")},
    "mallory2": {"": ("invalid", "symbolic link")},
    "eve": {"": ("invalid", "symbolic link")},
    "fifo": {"": ("invalid", "not a regular file")},
    "bignb": {"": ("invalid", "more than the limit")},
    "nocells": {"": ("invalid", "not a notebook")},
    "deepnest": {"": ("invalid", "not a notebook")},
    "intsource": {"": ("invalid", "source is not text (it is int)")},
    "आशा": {"": ("invalid", "wrong chapter")},
    "राम": {"": ("invalid", "not a notebook")},
    "-rf": {"": ("invalid", "not a notebook")},
    "odd\nname": {"": ("invalid", "not a notebook")},
}
LOOPS_EXPECTED = {
    "loops": {"ex1": ("fail", "time limit"), "ex2": REVIEW, "ex3": ("missing", "time limit")},
    "hang": {"ex1": ("fail", "done"), "ex2": STUB, "ex3": ("fail", "time limit")},
}


def _plant(subs: Path, pack: Path, marker: str) -> None:
    write(planted("01", "en", RIGHT_01), subs / "correct_01.ipynb")
    write(planted("02", "hi", {"pca_svd": PCA_EIGH, "angles_between": _sol("02", 2),
                               "pca_test_error": _sol("02", 3)}), subs / "correct_02.ipynb")
    write(planted("03", "en", {"kl_sparsity": _sol("03", 1), "masking_noise": MASK_BERNOULLI,
                               "auroc_by_hand": _sol("03", 3)}), subs / "correct_03.ipynb")
    write(planted("01", "hi", {}), subs / "stubs_01.ipynb")
    for ch in ("01", "02", "03"):
        write(planted(ch, "en", MISTAKES[ch]), subs / f"mistakes_{ch}.ipynb")
    (subs / "not_a_notebook.ipynb").write_text("print('my homework')\n")
    (subs / "corrupt_json.ipynb").write_text('{"cells": [{"cell_type": "code", "source": "x = 1"')
    write(planted("00", "en", {"mean_image": _sol("00", 1)}), subs / "wrong_chapter.ipynb")
    write(planted("01", "en", {"my_mse_per_image": _sol("01", 1), "sample_like": MISTAKES["01"]["sample_like"]},
                  prelude="", before=["raise RuntimeError('my first cell is broken')\n" + PRELUDE]),
          subs / "first_cell_raises.ipynb")
    write(planted("01", "en", {"my_mse_per_image": CHEAT_MSE, "make_encoder_decoder":
                               "def make_encoder_decoder(code_size, hidden):\n    print('✅ Correct')\n",
                               "sample_like": CHEAT_SAMPLE},
                  after={"my_mse_per_image": CHEATER_CELLS}), subs / "cheater.ipynb")
    write(planted("01", "en", {"my_mse_per_image": SNOOP_MSE, "make_encoder_decoder": _sol("01", 2)},
                  after={"my_mse_per_image": [_tamper_cell(subs, pack)]}), subs / "a_snooper.ipynb")
    write(planted("01", "hi", {"my_mse_per_image": _sol("01", 1)},
                  after={"my_mse_per_image": ["print('x' * 3_000_000)\nfor i in range(2000):\n    print('spam ' * 200)"]}),
          subs / "huge_output.ipynb")
    # the report's attacks
    write(planted("01", "en", {"my_mse_per_image": A.FORGE_MSE, "sample_like": _sol("01", 3)}), subs / "forger.ipynb")
    write(planted("01", "en", {"my_mse_per_image": A.LOOKUP_MSE, "sample_like": A.COPY_SAMPLE},
                  after={"my_mse_per_image": [A.ROOTKILL_CELL, A.DAEMON_CELL.replace("MARKER", marker)]}),
          subs / "thief.ipynb")
    write(planted("01", "en", {"my_mse_per_image": A.CHDIR_MSE, "make_encoder_decoder": A.TAMPER_ENC,
                               "sample_like": A.BOOTSTRAP_SAMPLE}), subs / "tricks.ipynb")
    write(planted("01", "en", {"my_mse_per_image": A.INJECT_MSE, "sample_like": A.LIAR_SAMPLE}),
          subs / '=HYPERLINK("x.invalid","ok").ipynb')
    write(planted("01", "en", {"my_mse_per_image": A.ZIPBOMB_MSE,
                               "sample_like": A.PICKLE_SAMPLE.replace("MARKER", str(subs.parent / f"pwned-{marker}"))}),
          subs / "bomber.ipynb")
    write(planted("01", "en", {"my_mse_per_image": A.LIMITS_MSE}), subs / "limits.ipynb")
    write(planted("03", "en", A.ODD_VALUES_03), subs / "oddvalues.ipynb")
    write(_raw(planted("01", "en", {"my_mse_per_image": _sol("01", 1), "sample_like": _sol("01", 3)},
                       after={"my_mse_per_image": [A.DEEP_CELL]}), "sample_like"), subs / "oddcells.ipynb")
    shutil.copyfile(subs / "correct_01.ipynb", subs / "twin.ipynb")
    write(planted("01", "en", {}), subs / "bob" / "correct_01.ipynb")               # bob's folder, a classmate's name
    (subs / "mallory").mkdir()
    os.symlink("../correct_01.ipynb", subs / "mallory" / "01_autoencoder_basics.ipynb")
    os.symlink(pack / rel.RELEASE_FILE, subs / "mallory2.ipynb")
    os.symlink("/dev/zero", subs / "eve.ipynb")
    os.mkfifo(subs / "fifo.ipynb")
    (subs / "bignb.ipynb").write_text('{"cells": [], "x": "' + "y" * 3_000_000 + '"}')
    (subs / "nocells.ipynb").write_text('{"metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    (subs / "deepnest.ipynb").write_text("[" * 100_000 + "]" * 100_000)
    nb = planted("01", "en", {})
    nb.cells[1]["source"] = 7
    (subs / "intsource.ipynb").write_text(json.dumps(nb))
    write(planted("00", "en", {"mean_image": _sol("00", 1)}), subs / "आशा.ipynb")
    (subs / "राम.ipynb").write_text("राम का homework")
    (subs / "-rf.ipynb").write_text("rm -rf /")
    (subs / "odd\nname.ipynb").write_text("odd")


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _learner(cell: str) -> str:
    return cell[1:] if cell.startswith("'") else cell


def _alive(marker: str) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if marker in line and "ps -eo" not in line]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("grading")
    shared = shared_release(tmp_path_factory)
    pack = base / "pack"                     # a copy: the snooper above knows its path and tries to damage it
    shutil.copytree(shared, pack)
    grading = rel.grading_dir_for(shared)
    subs = base / "returned"
    subs.mkdir()
    marker = f"course-attack-{uuid.uuid4().hex[:8]}"
    _plant(subs, pack, marker)
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in subs.iterdir()
              if p.is_file() and not p.is_symlink() and p.name != "fifo.ipynb"}
    pack_before = {str(p): p.read_bytes() for p in pack.rglob("*") if p.is_file()}
    out = base / "grades.csv"
    err_path = base / "stderr.txt"
    saved = os.dup(2)                        # anything written to the grader's terminal lands in this file
    with err_path.open("w") as err:
        os.dup2(err.fileno(), 2)
        try:
            t0 = time.monotonic()
            grade_tool.grade([subs], pack, out, chapters=["01", "02", "03"], grading=grading, timeout=120, limit=60,
                             cap=1_000_000, progress=False, jobs=2, max_notebook=2_000_000)
            seconds = time.monotonic() - t0
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    time.sleep(0.5)
    alive = _alive(marker)
    # infinite loops and an answer that says it is done, with short limits so that the test stays quick: one
    # loop in the answer itself (stopped at check time) and one in a cell (the notebook's time limit)
    loops = base / "loops"
    write(planted("01", "en", {"my_mse_per_image": "def my_mse_per_image(x_hat, x):\n    while True:\n        pass\n",
                               "make_encoder_decoder": _sol("01", 2), "sample_like": _sol("01", 3)},
                  after={"make_encoder_decoder": ["while True:\n    pass"]}), loops / "loops.ipynb")
    write(planted("01", "en", {"my_mse_per_image": A.HANG_MSE, "sample_like": _sol("01", 3)}), loops / "hang.ipynb")
    t0 = time.monotonic()
    grade_tool.grade([loops], pack, base / "loops.csv", chapters=["01"], grading=grading,
                     feedback_dir=base / "grades_feedback", timeout=8, limit=10, progress=False, jobs=2)
    loop_seconds = time.monotonic() - t0
    rows = _rows(out) + _rows(base / "loops.csv")
    return {"rows": rows, "base": base, "subs": subs, "before": before, "out": out, "pack": pack,
            "pack_before": pack_before, "marker": marker, "alive": alive, "stderr": err_path.read_text(),
            "seconds": seconds, "loop_seconds": loop_seconds, "grading": grading}


def test_csv_is_exactly_the_expected(graded):
    got = {(_learner(r["learner"]), r["exercise"]): r for r in graded["rows"]}
    assert len(graded["rows"]) == len(got), "one row per learner and exercise"
    want = {(learner, ex): v for learner, exs in {**EXPECTED, **LOOPS_EXPECTED}.items() for ex, v in exs.items()}
    assert sorted(got) == sorted(want)
    wrong = []
    for key, (status, phrase) in want.items():
        r = got[key]
        if r["status"] != status or phrase not in r["message_en"]:
            wrong.append(f"{key}: {r['status']} {r['message_en']!r}, expected {status} with {phrase!r}")
    assert not wrong, "\n".join(wrong)
    assert list(graded["rows"][0]) == grade_tool.COLUMNS


def test_every_attack_of_the_report_is_planted_and_earns_nothing(graded):
    learners = {_learner(r["learner"]) for r in graded["rows"]}
    for number, (who, _) in A.ATTACKS.items():
        names = [w.strip() for w in who.replace("\\n", "\n").split(", ")]
        assert who.startswith("(") or all(n in learners for n in names), (number, who)
    honest = {"correct_01", "correct_02", "correct_03", "twin", "huge_output", "first_cell_raises", "oddcells"}
    credit = {(r["learner"], r["exercise"]) for r in graded["rows"] if r["status"] == "pass"}
    # credit only for answers that are right: the attackers' passes are their correct answers, nothing else
    assert {who for who, _ in credit} - honest == {"tricks"}
    assert ("tricks", "ex1") in credit and len([c for c in credit if c[0] == "tricks"]) == 1   # its right answer
    assert not [r for r in graded["rows"] if r["status"] == "pass" and r["chapter"] == "01" and r["exercise"] == "ex2"]
    # (01 ex2 is a shipped checker: never a pass, at best a review)


def test_no_attack_harms_another_learner_or_outlives_the_run(graded):
    assert graded["alive"] == [], "processes of a submission survived the grading"
    assert _alive(graded["marker"]) == []
    assert not list(graded["base"].glob("pwned-*")), "a pickle payload ran in the grader"
    assert "TTY-MARKER" not in graded["stderr"]
    # the instructor's pack copy, whose path a hostile notebook knows, is unchanged; submissions were not written
    assert {str(p): p.read_bytes() for p in graded["pack"].rglob("*") if p.is_file()} == graded["pack_before"]
    for name, digest in graded["before"].items():
        assert hashlib.sha256((graded["subs"] / name).read_bytes()).hexdigest() == digest, name
    base = graded["base"]
    assert not (base / "escape.txt").exists() and not (base.parent / "escape.txt").exists()
    assert not (Path.home() / "escape.txt").exists()
    assert "daemon was here" not in graded["out"].read_text(encoding="utf-8")
    # an answer that reports itself done and never ends is stopped by the grader's clock
    assert graded["loop_seconds"] < 60, graded["loop_seconds"]


def test_names_cannot_collide_or_inject(graded):
    rows = graded["rows"]
    bob = [r for r in rows if r["learner"] == "bob"]
    assert {r["submission"] for r in bob} == {"bob/correct_01.ipynb"}
    assert len([r for r in rows if r["learner"] == "correct_01"]) == 3
    formula = [r for r in rows if "HYPERLINK" in r["learner"]]
    assert formula and all(r["learner"].startswith("'=") for r in formula)      # text, not a formula
    fb = graded["out"].with_name("grades_feedback")
    names = {p.name for p in fb.iterdir()}
    assert {"आशा.md", "राम.md", "_-rf.md", "odd_name.md"} <= names
    assert "wrong chapter" in (fb / "आशा.md").read_text() and "not a notebook" in (fb / "राम.md").read_text()
    text = next(p for p in fb.iterdir() if "HYPERLINK" in p.name).read_text()
    lines = text.splitlines()
    assert [ln for ln in lines if ln.startswith("**Score:**")] == ["**Score:** 0/3"]
    assert len([ln for ln in lines if ln.startswith("- ex1")]) == 1 and "<!--" not in text
    assert not [ln for ln in lines if ln.startswith("- ") and "✓" in ln.split(":")[1]]
    for p in fb.iterdir():
        assert str(graded["base"]) not in p.read_text() and "/tmp/course-grade" not in p.read_text(), p.name
    for r in rows:
        assert "course-grade-" not in r["message_en"] and "/sandbox/work" not in r["message_en"], r


def test_identical_answers_and_files_are_flagged(graded):
    rows = {(r["learner"], r["exercise"]): r for r in graded["rows"]}
    assert "same notebook file as: twin" in rows[("correct_01", "ex1")]["flags"]
    assert "same notebook file as: correct_01" in rows[("twin", "ex3")]["flags"]
    assert "same answer as" in rows[("twin", "ex1")]["flags"]
    assert rows[("correct_02", "ex1")]["flags"] == ""


def test_messages_in_both_languages_and_feedback_in_the_notebooks_language(graded):
    for r in graded["rows"]:
        if r["status"] in ("fail", "invalid", "review"):
            assert r["message_en"] and r["message_hi"], r
    fb = graded["out"].with_name("grades_feedback")
    hi = (fb / "stubs_01.md").read_text()
    assert "अभी कोशिश नहीं की" in hi and "○ नहीं मिला" in hi
    en = (fb / "mistakes_01.md").read_text()
    assert "Score:** 0/3" in en and "✗ not yet" in en
    assert "Score:** 3/3" in (fb / "correct_02.md").read_text() and "✓ सही" in (fb / "correct_02.md").read_text()
    assert "printed more than" not in en
    assert "छापा" in (fb / "huge_output.md").read_text()            # the huge output is noted, in Hindi
    assert "time limit" in (fb / "loops.md").read_text()


def test_results_are_written_as_each_learner_finishes(graded, tmp_path):
    """The CSV has the header and the finished learners' rows while the run goes on (a crash loses nothing)."""
    out = tmp_path / "g.csv"
    writer = grade_tool.Writer(out, tmp_path / "fb", {"a": "a", "b": "b"}, [])
    r = grade_tool.Result("a", "a.ipynb", 0)
    r.row("", "", "invalid", "not a notebook", "notebook नहीं")
    writer.add(r)
    assert [x["learner"] for x in _rows(out)] == ["a"] and (tmp_path / "fb" / "a.md").exists()


def test_jobs_give_the_same_results_as_one_job(graded, tmp_path):
    subs = tmp_path / "returned"
    subs.mkdir()
    for name in ("correct_03", "mistakes_01", "tricks"):
        shutil.copyfile(graded["subs"] / f"{name}.ipynb", subs / f"{name}.ipynb")
    one = grade_tool.grade([subs], graded["pack"], tmp_path / "one.csv", chapters=["01", "03"],
                           grading=graded["grading"], timeout=120, limit=60, progress=False, jobs=1)
    two = {(r["learner"], r["exercise"]): r for r in graded["rows"] if r["learner"] in ("correct_03", "mistakes_01",
                                                                                         "tricks")}
    assert len(one) == len(two) == 9
    for r in one:
        other = two[(r["learner"], r["exercise"])]
        assert {k: r[k] for k in grade_tool.COLUMNS if k != "flags"} == \
               {k: other[k] for k in grade_tool.COLUMNS if k != "flags"}


def test_read_regular_refuses_links_fifos_devices_and_big_files(tmp_path):
    ok = tmp_path / "ok.ipynb"
    ok.write_text("{}")
    assert grade_tool.read_regular(ok, 10) == b"{}"
    os.symlink(ok, tmp_path / "link.ipynb")
    os.mkfifo(tmp_path / "fifo.ipynb")
    for name, phrase in (("link.ipynb", "symbolic link"), ("fifo.ipynb", "not a regular file")):
        with pytest.raises(ValueError, match=phrase):
            grade_tool.read_regular(tmp_path / name, 10)
    with pytest.raises(ValueError, match="more than the limit"):
        grade_tool.read_regular(ok, 1)


def test_safe_load_refuses_zip_bombs_and_pickles():
    import io
    import pickle
    import zipfile

    import torch

    buf = io.BytesIO()
    torch.save({"records": [{"status": "ok", "out": 1.0}]}, buf)
    assert grade_tool.safe_load(buf.getvalue())["records"][0]["out"] == 1.0
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a/data.pkl", bytes(10 << 20))
    with pytest.raises(ValueError, match="compressed"):
        grade_tool.safe_load(bomb.getvalue())
    with pytest.raises(Exception):
        grade_tool.safe_load(pickle.dumps({"records": []}))
    with pytest.raises(ValueError):
        grade_tool.safe_load(buf.getvalue(), cap=10)


def test_answer_source_takes_imports_helpers_and_constants_only():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("%matplotlib inline\nimport torch\nSCALE = 2\nmodel = torch.nn.Linear(2, 2)"),
        nbformat.v4.new_code_cell("def helper(t):\n    return t * SCALE\n\nprint('side effect')"),
        nbformat.v4.new_code_cell("def answer(t):\n    return helper(t)\n"),
        nbformat.v4.new_code_cell("def answer(t):\n    return t\n"),           # not run: the earlier def counts
        nbformat.v4.new_code_cell("x = " + "-" * 100_000 + "1"),              # pathological: skipped, not fatal
    ])
    src, why = grade_tool.answer_source(nb, {0, 1, 2, 4}, "answer")
    assert why == "" and "import torch" in src and "SCALE = 2" in src and "def helper" in src
    assert "print" not in src and "model" not in src and "return helper(t)" in src
    assert grade_tool.answer_source(nb, {0, 1, 2}, "absent") == (None, "not defined")


def test_grading_time(graded):
    """Printed for the report: wall time of the main run (--jobs 2) and of the loops run."""
    n = len({r["learner"] for r in graded["rows"]})
    print(f"\nmain run: {graded['seconds']:.1f} s for {n} submissions (--jobs 2); loops run {graded['loop_seconds']:.1f} s")
    assert graded["seconds"] < 900


def test_every_chapter_reference_passes_and_stubs_pass_nothing(tmp_path_factory, tmp_path):
    """A release of every chapter, graded: each solution notebook's answers (taken as the grader takes them)
    pass on the held-back set, or are `review` for a shipped checker; a stub passes nothing; the library
    answers the release must flag are flagged; chapter 10's stored inputs load in the pack."""
    import torch

    from course_utils.exercises import NotAttempted
    from course_utils.tools import stored

    chapters = tuple(rel.chapters_available())
    pack_dir = shared_release(tmp_path_factory, chapters=chapters)
    pack = grade_tool.Pack.load(pack_dir)
    record = pack.record
    opened = {f"{e['chapter']}-ex{e['number']}": e["open_library"] for e in record["exercises"]}
    assert "diagnostics.active_units" in opened["08-ex1"]
    assert "vq.straight_through" in opened["11-ex2"] and "vq.perplexity" in opened["11-ex3"]
    pack_copy = pack.write(tmp_path / "pack")
    limits = sandbox.Limits()
    by_chapter: dict[str, list] = {}
    for e in rel.registry(list(chapters)):
        by_chapter.setdefault(e.chapter, []).append(e)
    bad = []
    for ch, entries in by_chapter.items():
        nb = nbformat.read(rel.ROOT / "solutions" / "en" / f"{entries[0].slug}.ipynb", as_version=4)
        ran = {i for i, c in enumerate(nb.cells) if c.cell_type == "code"}
        jobs = []
        for e in entries:
            source, why = grade_tool.answer_source(nb, ran, e.answer)
            assert source is not None, (e.key, why)
            jobs.append({"key": e.key, "module": e.module, "number": e.number, "name": e.answer,
                         "mode": pack.mode(e.key), "source": source})
        results = grade_tool.run_answers(jobs, "bwrap", tmp_path / ch, pack, pack_copy, 120, limits)
        for e in entries:
            status, en, _ = grade_tool.verdict(e.key, pack.mode(e.key), results.get(e.key), pack, 120)
            want = "pass" if pack.mode(e.key) == "stored" else "review"
            if status != want:
                bad.append(f"{e.key}: {status} {en}")
            # the stub passes nothing: the chapter's own view holds it as a stub (found before anything runs),
            # and a stub that raises NotImplementedError is "not attempted" for the stored checks and the course's
            view = nbformat.read(rel.ROOT / "notebooks" / "en" / f"{e.slug}.ipynb", as_version=4)
            cells = {i for i, c in enumerate(view.cells) if c.cell_type == "code"}
            assert grade_tool.answer_source(view, cells, e.answer) == (None, "stub"), e.key
            space: dict = {}
            exec(f"def {e.answer}(*args, **kwargs):\n    raise NotImplementedError\n", space)
            stub = space[e.answer]
            if pack.mode(e.key) == "stored":
                inputs = torch.load(io.BytesIO(pack.inputs[e.key]), weights_only=False)
                with pytest.raises(NotAttempted):
                    stored.compare(pack.expected[e.key], stored.run_calls(stub, inputs), inputs)
            else:
                assert e.exercise.grade(stub).status == "not attempted", e.key
    assert not bad, "\n".join(bad)
