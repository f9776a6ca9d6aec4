"""The README's commands are the ones CI runs, and it lists every chapter in both languages."""
import re

from course_utils.tools.build import ROOT, sources


def _ci_test_command() -> str:
    m = re.search(r'^TEST_CMD="([^"]+)"', (ROOT / ".ci" / "run").read_text(), flags=re.M)
    assert m, ".ci/run must define TEST_CMD"
    return m.group(1)


def test_readmes_print_the_command_ci_runs():
    cmd = _ci_test_command()
    for readme in ("README.md", "README.hi.md"):
        text = (ROOT / readme).read_text(encoding="utf-8")
        assert f"\n{cmd}\n" in text, f"{readme} does not print the test command `{cmd}` on its own line"
        assert "\nmake lab\n" in text, f"{readme} does not print `make lab`"
    makefile = (ROOT / "Makefile").read_text()
    target = cmd.split()[-1]
    assert re.search(rf"^{target}: install$", makefile, flags=re.M)
    assert "--nbval" in makefile and "notebooks/hi notebooks/en solutions/hi solutions/en" in makefile


def test_readmes_list_every_chapter_in_both_languages():
    chapters = [p.stem for p in sources() if p.parent.parent.name == "notebooks"]
    for readme in ("README.md", "README.hi.md"):
        text = (ROOT / readme).read_text(encoding="utf-8")
        for stem in chapters:
            for lang in ("hi", "en"):
                assert f"notebooks/{lang}/{stem}.ipynb" in text, f"{readme} lacks {lang} link of {stem}"


def test_every_chapter_has_a_solution_and_exercises():
    chapters = {p.stem for p in sources() if p.parent.parent.name == "notebooks"}
    solutions = {p.stem for p in sources() if p.parent.parent.name == "solutions"}
    assert chapters == solutions
    for stem in chapters:
        num = stem[:2]
        assert (ROOT / "course_utils" / "exercises" / f"ch{num}.py").exists()
        assert (ROOT / "tests" / f"test_exercises_ch{num}.py").exists() or num == "00"


def test_solution_notebooks_run_each_exercises_solution_code():
    import importlib

    for src in sources():
        if src.parent.parent.name != "solutions":
            continue
        module = importlib.import_module(f"course_utils.exercises.ch{src.stem[:2]}")
        text = src.read_text(encoding="utf-8")
        exercises = [v for v in vars(module).values() if type(v).__name__ == "Exercise"]
        assert exercises, f"{module.__name__} defines no exercises"
        for ex in exercises:
            assert ex.solution_code in text, f"{src.name} does not contain ex{ex.number}'s solution code"
            assert f'<a id="ex-{ex.number}"></a>' in text
