"""The learner's working copy (course_utils/tools/workspace.py) and the JupyterLab settings `make lab` ships."""
import json
import re
import sys
from pathlib import Path

import pytest

from course_utils.tools import workspace

ROOT = Path(__file__).resolve().parent.parent


def _view(text: str) -> bytes:
    return json.dumps({"cells": [{"cell_type": "markdown", "source": text}], "nbformat": 4}).encode()


@pytest.fixture
def course(tmp_path):
    """A small course tree: a chapter and its solution in both languages, linked as the real views are."""
    src = tmp_path / "course"
    for tree in workspace.TREES:
        (src / tree).mkdir(parents=True)
        lang = tree.split("/")[1]
        (src / tree / "01_basics.ipynb").write_bytes(_view(f"[answer](../../solutions/{lang}/01_basics.ipynb#q-1)"))
    return src


def test_first_sync_copies_every_view_with_links_that_resolve(course, tmp_path):
    mine = tmp_path / "my-course"
    done = workspace.sync(mine, source=course)
    assert len(done["new"]) == 4 and not done["updated"] and not done["kept"]
    chapter = mine / "notebooks/hi/01_basics.ipynb"
    link = re.search(r"\]\(([^)#]+)", json.loads(chapter.read_text())["cells"][0]["source"]).group(1)
    assert (chapter.parent / link).resolve().is_file(), "a chapter's link to its solution resolves in the working copy"
    assert workspace.sync(mine, source=course) == {"new": [], "updated": [], "kept": [], "beside": []}


def test_an_update_never_overwrites_the_learners_work(course, tmp_path, capsys):
    mine = tmp_path / "my-course"
    workspace.sync(mine, source=course)
    answered = mine / "notebooks/en/01_basics.ipynb"
    answered.write_bytes(_view("my answer: 42"))                       # what autosave writes after a run
    tracked_before = (course / "notebooks/en/01_basics.ipynb").read_bytes()
    # the course changes both English views and adds a chapter
    (course / "notebooks/en/01_basics.ipynb").write_bytes(_view("chapter 01, revised"))
    (course / "solutions/en/01_basics.ipynb").write_bytes(_view("solution 01, revised"))
    (course / "notebooks/en/12_evaluation.ipynb").write_bytes(_view("chapter 12"))
    done = workspace.sync(mine, source=course)
    assert answered.read_bytes() == _view("my answer: 42"), "the learner's answers survive the update"
    assert (mine / "notebooks/en/01_basics.updated.ipynb").read_bytes() == _view("chapter 01, revised")
    assert (mine / "solutions/en/01_basics.ipynb").read_bytes() == _view("solution 01, revised"), \
        "a view the learner never changed takes the update in place"
    assert (mine / "notebooks/en/12_evaluation.ipynb").exists()
    assert done["new"] == ["notebooks/en/12_evaluation.ipynb"] and done["updated"] == ["solutions/en/01_basics.ipynb"]
    assert done["kept"] == ["notebooks/en/01_basics.ipynb"]
    assert tracked_before != (course / "notebooks/en/01_basics.ipynb").read_bytes()   # the sync only reads the course
    workspace.report(done, mine)
    out = capsys.readouterr().out
    assert "1 new / नए" in out and "01_basics.updated.ipynb" in out and "आपकी file वैसी ही है" in out
    assert not list(mine.rglob("*.tmp")), "no temporary file is left"


def test_refuses_the_course_folders_and_a_damaged_manifest(course, tmp_path):
    for bad in (course, course / "notebooks", course / "notebooks/hi"):
        with pytest.raises(ValueError, match="must not be the course's own folder"):
            workspace.sync(bad, source=course)
    mine = tmp_path / "my-course"
    workspace.sync(mine, source=course)
    (mine / workspace.MANIFEST).write_text("[1, 2")
    with pytest.raises(SystemExit, match="is damaged.*delete it"):
        workspace.sync(mine, source=course)


def test_the_working_copy_is_ignored_by_git():
    assert "/my-course/" in (ROOT / ".gitignore").read_text().splitlines()


def test_jupyterlab_overrides_name_settings_the_installed_jupyterlab_has():
    """Each override must exist in the installed JupyterLab's own schema, or JupyterLab silently ignores it."""
    overrides = json.loads((ROOT / "jupyterlab" / "overrides.json").read_text())
    assert overrides["@jupyterlab/notebook-extension:tracker"]["kernelShutdown"] is True
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    schemas = Path(sys.prefix) / "share" / "jupyter" / "lab" / "schemas"
    if not schemas.is_dir():
        pytest.skip(f"JupyterLab's schemas are not installed under {schemas}")
    for plugin, values in overrides.items():
        package, name = plugin.split(":")
        schema = json.loads((schemas / package / f"{name}.json").read_text())
        for key, value in values.items():
            assert key in schema["properties"], f"{plugin} has no setting {key!r}"
            default = schema["properties"][key].get("default")
            assert value != default, f"{plugin}.{key} = {value!r} is already JupyterLab's default: the override does nothing"
