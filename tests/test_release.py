"""The student pack: what it holds (no solution in any readable form), how its checkers behave, and that it runs.

One release of chapters 00-03 is built per session (tests/submissions/planted.py: shared_release).
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import torch

from course_utils.exercises import CORRECT, INCORRECT
from course_utils.tools import release as rel
from course_utils.tools import stored
from exercise_kit import mnist_here
from submissions.planted import shared_release

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not mnist_here(), reason="needs MNIST (chapter 02's checks use real digits)")


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    return shared_release(tmp_path_factory)


def _pack_env(pack: Path) -> dict:
    return {**os.environ, "PYTHONPATH": str(pack), "HOME": str(pack.parent), "COURSE_THREADS": "1"}


def test_pack_holds_views_library_and_data_but_no_solutions_or_tools(pack):
    record = json.loads((pack / rel.RELEASE_FILE).read_text())
    assert record["chapters"] == ["00", "01", "02", "03"]
    modes = {(e["chapter"], e["number"]): e["mode"] for e in record["exercises"]}
    assert modes[("01", 2)] == "shipped" and list(modes.values()).count("shipped") == 1   # its answer is a model
    assert len(modes) == len(rel.registry(["00", "01", "02", "03"]))
    opened = {(e["chapter"], e["number"]): e["open_library"] for e in record["exercises"] if e["open_library"]}
    assert opened == {("01", 1): ["losses.mse_per_image"], ("02", 2): ["linear.principal_angles"],
                      ("03", 2): ["noise.masking_noise"], ("03", 3): ["metrics.auroc"]}   # as INSTRUCTORS.md lists
    every = {p.stem for p in (ROOT / "course_utils").glob("*.py") if not p.stem.startswith("_")}
    assert set(rel.LIBRARY) == every - set(rel.NOT_SCANNED) and {"diagnostics", "vq", "losses"} <= set(rel.LIBRARY)
    for lang in ("hi", "en"):
        assert {p.name for p in (pack / "notebooks" / lang).iterdir()} == {
            f"{e.slug}.ipynb" for e in rel.registry(["00", "01", "02", "03"])}
    assert not (pack / "solutions").exists() and not (pack / "course_utils" / "tools").exists()
    assert not list(pack.rglob("*solution*.ipynb"))
    for e in record["exercises"]:
        folder = pack / "course_utils" / "exercises" / "_released" / e["slug"]
        assert (folder / f"ex{e['number']}.inputs.pt").exists() == (e["mode"] == "stored")


def test_held_back_grading_set_lies_outside_the_pack_with_other_inputs(pack):
    """The grading set: a sibling folder; the same kinds of checks; other inputs wherever the checker draws
    anything at random (release.json says which exercises have fixed inputs); none of its expected values
    is anywhere in the pack."""
    grading = rel.grading_dir_for(pack)
    held = json.loads((grading / rel.GRADING_FILE).read_text())
    record = json.loads((pack / rel.RELEASE_FILE).read_text())
    assert grading.parent == pack.parent and not (pack / rel.GRADING_FILE).exists()
    pack_bytes = [p.read_bytes() for p in pack.rglob("*.pt")]
    stored_ex = [e for e in held["exercises"] if e["mode"] == "stored"]
    assert len(stored_ex) == len(rel.registry(["00", "01", "02", "03"])) - 1
    flags = {(e["chapter"], e["number"]): e["held_back"] for e in record["exercises"] if e["mode"] == "stored"}
    for e in stored_ex:
        mine = pack / "course_utils" / "exercises" / "_released" / e["slug"]
        theirs = grading / e["slug"]
        a = torch.load(mine / f"ex{e['number']}.inputs.pt", weights_only=False)
        b = torch.load(theirs / f"ex{e['number']}.inputs.pt", weights_only=False)
        assert len(a["calls"]) == len(b["calls"])                    # the same checks, kind by kind
        for ca, cb in zip(a["calls"], b["calls"]):
            assert [stored.describe(v) for v in ca["args"]] == [stored.describe(v) for v in cb["args"]]
        expected = torch.load(theirs / f"ex{e['number']}.expected.pt", weights_only=True)
        assert flags[(e["chapter"], e["number"])] == (not rel.same_inputs(a, b, expected)), e
        if any(c["random"] for c in expected["calls"]):                # random checks are always held back
            assert flags[(e["chapter"], e["number"])], e
        if flags[(e["chapter"], e["number"])]:
            assert (theirs / f"ex{e['number']}.expected.pt").read_bytes() not in pack_bytes
    assert sum(flags.values()) >= len(flags) // 2, flags


def test_stored_checks_reject_what_the_course_rejects():
    """Named mistakes of the course's checkers, kept as stored properties: resampled codes (01 ex3); no
    gradient, a detached result, a fixed seed inside the function and uniform noise (06 ex1)."""
    from course_utils.exercises import ch06

    cases = {
        "01": ("""
def sample_like(codes, n, generator):
    return codes[torch.randint(len(codes), (n,), generator=generator)]
""", "copies"),
    }
    e01 = rel.registry(["01"])[2]
    ref = rel.reference(e01)
    inputs, expected = stored.record(e01.exercise, ref, seed_shift=4711)
    src, phrase = cases["01"]
    space = {"torch": torch}
    exec(src, space)
    with pytest.raises(stored.Wrong, match=phrase):
        stored.compare(expected, stored.run_calls(space["sample_like"], inputs), inputs)
    stored.compare(expected, stored.run_calls(ref, inputs), inputs)
    e06 = next(e for e in rel.registry(["06"]) if e.number == 1)
    ref = rel.reference(e06)
    inputs, expected = stored.record(e06.exercise, ref, seed_shift=4711)
    stored.compare(expected, stored.run_calls(ref, inputs), inputs)
    wrong = {
        "sample": "def reparameterize(mu, logvar):\n"
                  "    return torch.distributions.Normal(mu, (0.5 * logvar).exp()).sample()\n",
        "detach": "def reparameterize(mu, logvar):\n"
                  "    return (mu + (0.5 * logvar).exp() * torch.randn_like(mu)).detach()\n",
        "fixed seed": "def reparameterize(mu, logvar):\n    g = torch.Generator().manual_seed(0)\n"
                      "    return mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=g)\n",
        "uniform": "def reparameterize(mu, logvar):\n"
                   "    eps = (torch.rand_like(mu) - 0.5) * 12 ** 0.5\n    return mu + (0.5 * logvar).exp() * eps\n",
    }
    for what, src in wrong.items():
        space = {"torch": torch}
        exec(src, space)
        with pytest.raises(stored.Wrong):
            stored.compare(expected, stored.run_calls(space["reparameterize"], inputs), inputs)
        if what in ("sample", "detach"):                # the course's checker names these two mistakes
            assert e06.exercise.grade(space["reparameterize"]).status == INCORRECT, what


def test_views_are_reset_and_point_nowhere_near_the_solutions(pack):
    for path in (pack / "notebooks").rglob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        lang = path.parent.name
        for cell in nb.cells:
            assert not re.search(r"\]\([^)]*solutions/", cell.source), (path, cell.source[:80])   # no link
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None
        text = " ".join(c.source for c in nb.cells)
        assert ("deadline के बाद" if lang == "hi" else "after the deadline") in text


def test_no_solution_code_in_the_pack_and_the_leak_check_can_fail(pack, tmp_path):
    entries = rel.registry(["00", "01", "02", "03"])
    assert rel.leaks(pack, entries) == []
    for path in (pack / "course_utils" / "exercises").glob("ch*.py"):
        text = path.read_text()
        assert "solution_code=''" in text and "_reference" not in text
    planted = tmp_path / "pack"
    (planted / "course_utils").mkdir(parents=True)
    (planted / "course_utils" / "leak.py").write_text(entries[1].exercise.solution_code)
    assert any("whole solution code" in f for f in rel.leaks(planted, entries))


def _load_pack_module(pack: Path, ch: str):
    """The pack's generated chNN.py, loaded in this process (its `stored` engine is the tools copy)."""
    sys.modules.setdefault("course_utils.exercises.stored", stored)
    spec = importlib.util.spec_from_file_location(f"course_utils.exercises._pack_ch{ch}",
                                                  pack / "course_utils" / "exercises" / f"ch{ch}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _bend(v):
    """A value made wrong: numbers scaled and shifted; anything else (a model, a function) becomes None."""
    if torch.is_tensor(v) and v.is_floating_point():
        return v * 1.5 + 0.1
    if isinstance(v, float):
        return v * 1.5 + 0.1
    if isinstance(v, (tuple, list)):
        return type(v)(_bend(x) for x in v)
    return None


def _unplain(v):
    if isinstance(v, dict) and "__tensor__" in v:
        return v["__tensor__"].clone().requires_grad_(v["grad"])
    if isinstance(v, dict) and "__seq__" in v:
        return tuple(_unplain(x) for x in v["__seq__"])
    return v


def _wrong(pack: Path, e: rel.Entry, reference):
    """A wrong answer: the expected outputs, in call order, bent (cheap: the reference does not run again)."""
    path = pack / "course_utils" / "exercises" / "_released" / e.slug / f"ex{e.number}.expected.pt"
    if not path.exists():                          # a shipped checker: bend what the reference returns
        def wrong(*args, **kwargs):
            return _bend(reference(*args, **kwargs))
    else:
        outs = iter([_unplain(c["out"]) for c in torch.load(path, weights_only=True)["calls"]])

        def wrong(*args, **kwargs):
            return _bend(next(outs, None))
    wrong.__name__ = reference.__name__
    return wrong


def test_every_registered_exercise_passes_its_reference_and_fails_a_wrong_answer_in_released_mode(pack):
    for e in rel.registry(["00", "01", "02", "03"]):
        module = _load_pack_module(pack, e.chapter)
        released = getattr(module, f"ex{e.number}")
        ref = rel.reference(e)
        assert released.grade(ref).status == CORRECT, (e.key, released.grade(ref))
        assert released.grade(_wrong(pack, e, ref)).status == INCORRECT, e.key
        assert released.hints == e.exercise.hints and released.solution_code == ""


def test_pack_solution_says_after_the_deadline_in_both_languages_and_checks_run(pack):
    code = ("from course_utils.exercises import ch01\nimport course_utils, torch\n"
            "assert course_utils.__file__.startswith(%r)\n" % str(pack)
            + "ch01.ex1.solution()\nassert not hasattr(ch01, '_reference_mse') and ch01.ex1.solution_code == ''\n"
            "exec(%r)\nch01.ex1.check(my_mse_per_image)\n" % rel.registry(["01"])[0].exercise.solution_code
            + "ch01.ex1.check(lambda x_hat, x: (x_hat - x).abs().sum())\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=pack.parent, env=_pack_env(pack), capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "deadline के बाद" in out.stdout and "after the deadline" in out.stdout
    assert "✓ सही / Correct" in out.stdout and "✗ अभी सही नहीं / Not yet" in out.stdout


def test_pack_installs_and_runs_a_chapter_on_its_own(pack, tmp_path):
    """pip installs the pack (no network, no dependencies: they are this venv's), then chapter 01 runs from it."""
    target = tmp_path / "site"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                          "--no-index", "--target", str(target), str(pack)], capture_output=True, text=True,
                         timeout=300)
    assert pip.returncode == 0, pip.stderr
    assert (target / "course_utils" / "exercises" / "_released" / "01_autoencoder_basics" / "ex1.expected.pt").exists()
    assert not (target / "course_utils" / "tools").exists()
    from nbclient import NotebookClient

    nb = nbformat.read(pack / "notebooks" / "en" / "01_autoencoder_basics.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import course_utils\nprint(course_utils.__file__)"))
    work = tmp_path / "work"
    work.mkdir()
    env = {**_pack_env(target), "MPLBACKEND": "Agg", "HOME": str(work)}
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(work)}}).execute(env=env)
    printed = lambda c: "".join(o.get("text", "") for o in c.outputs if o.output_type == "stream")  # noqa: E731
    assert printed(nb.cells[-1]).strip().startswith(str(target))
    checks = [printed(c) for c in nb.cells if c.cell_type == "code" and ".check(" in c.source]
    assert len(checks) == 3 and all("Not attempted yet" in p for p in checks), checks


def test_instructors_exercise_table_is_current_in_both_languages_and_the_check_can_fail():
    from course_utils.tools import instructors

    assert instructors.main(["--check"]) == 0, "run: python -m course_utils.tools.instructors (or make instructors)"
    text = instructors.FILES["en"].read_text(encoding="utf-8")
    rows = [ln for ln in text.splitlines() if ln.startswith("| 01 | ex1 |")]
    assert rows and "`my_mse_per_image`" in rows[0]
    stale = text.replace(rows[0] + "\n", "")
    assert instructors.stable(instructors.render("en", stale)) != instructors.stable(stale)
    for e in rel.registry():
        for lang, path in instructors.FILES.items():
            assert f"| {e.chapter} | ex{e.number} | `{e.answer}` |" in path.read_text(encoding="utf-8"), (lang, e.key)
