import json
from pathlib import Path

import nbformat
import pytest

from course_utils.tools import build

HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""


def prose(lang: str, text: str) -> str:
    return f'\n+++ {{"tags": ["lang-{lang}"]}}\n\n{text}\n'


def code(src: str) -> str:
    return f"\n```{{code-cell}} ipython3\n{src}\n```\n"


GOOD = HEADER + prose("hi", "# शीर्षक\n\nDecoder एक image बनाता है।") + prose("en", "# Title\n\nThe decoder makes an image.") \
    + code("print(6 * 7)")


def write_source(root: Path, text: str, name: str = "01_demo") -> Path:
    src = root / "notebooks" / "source" / f"{name}.md"
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_text(text, encoding="utf-8")
    return src


@pytest.mark.parametrize("text, problem", [
    (HEADER + "\n+++\n\nuntagged prose\n" + code("1"), "without exactly one tag"),
    (HEADER + prose("en", "English first") + prose("hi", "फिर Hindi"), "not a lang-hi cell followed by"),
    (HEADER + prose("hi", "अकेला Hindi cell") + code("1"), "not a lang-hi cell followed by"),
    (HEADER + prose("hi", "## एक\n\n$$a$$") + prose("en", "## One"), "display formulas"),
    (HEADER + prose("hi", "# एक") + prose("en", "## One"), "heading levels"),
    (HEADER + prose("hi", "[answer](../../solutions/en/x.ipynb#q-1)") + prose("en", "[answer](../../solutions/en/x.ipynb#q-1)"),
     "Hindi prose links to an English view"),
    (HEADER + prose("hi", "Encoder का output KL विचलन से जुड़ा है।") + prose("en", "The encoder output enters the KL divergence."),
     "mistranslates 'KL divergence'"),
    (HEADER + prose("hi", "यह हिस्सा image बनाता है।") + prose("en", "The decoder makes an image."), "says 'decoder'"),
    (HEADER + prose("hi", "Step $2 \times 10^{-3}$ है।") + prose("en", "A step of $2 \times 10^{-3}$."),
     "holds the control character"),
])
def test_bad_sources_are_refused(tmp_path, text, problem):
    src = write_source(tmp_path, text)
    with pytest.raises(build.BuildError, match=problem):
        build.read_source(src)


def test_split_keeps_every_code_cell_and_one_language(tmp_path):
    nb = build.read_source(write_source(tmp_path, GOOD))
    hi, en = build.split(nb, "hi"), build.split(nb, "en")
    assert [c.cell_type for c in hi.cells] == [c.cell_type for c in en.cells] == ["markdown", "code", "code"]
    assert "शीर्षक" in hi.cells[0].source and "Title" in en.cells[0].source
    assert hi.cells[1].source.startswith(build.SETUP_MARK)           # the Colab setup cell comes first
    assert hi.cells[2].source == en.cells[2].source == "print(6 * 7)"
    assert hi.metadata["course"]["language"] == "hi"


def test_build_executes_once_and_writes_identical_outputs(tmp_path):
    src = write_source(tmp_path, GOOD)
    seconds = build.build_one(src)
    assert seconds > 0
    views = {lang: nbformat.read(build.view_path(src, lang), as_version=4) for lang in build.LANGS}
    assert all(views[lang].cells[1].outputs == [] for lang in build.LANGS)   # setup cell: silent off Colab
    outs = {lang: views[lang].cells[2].outputs for lang in build.LANGS}
    assert outs["hi"] == outs["en"] and outs["hi"][0]["text"] == "42\n"
    assert build.check(tmp_path) == []
    # edit the source: the views are now stale
    src.write_text(GOOD.replace("6 * 7", "6 * 8"), encoding="utf-8")
    assert any("stale" in p for p in build.check(tmp_path))


def test_check_finds_missing_unexecuted_orphan_and_diverging_views(tmp_path):
    src = write_source(tmp_path, GOOD)
    assert any("missing" in p for p in build.check(tmp_path))
    nb = build.read_source(src)
    for lang in build.LANGS:
        build.write_atomic(build.view_path(src, lang), nbformat.writes(build.split(nb, lang)))
    assert any("unexecuted" in p for p in build.check(tmp_path))
    for lang, out in (("hi", "42\n"), ("en", "43\n")):
        view = build.split(nb, lang)
        view.cells[1].execution_count = 1
        view.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text=out)]
        build.write_atomic(build.view_path(src, lang), nbformat.writes(view))
    assert any("different outputs" in p for p in build.check(tmp_path))
    orphan = tmp_path / "notebooks" / "en" / "02_gone.ipynb"
    orphan.write_text(nbformat.writes(nbformat.v4.new_notebook()))
    assert any("02_gone.ipynb has no source" in p for p in build.check(tmp_path))


def test_a_failing_cell_writes_no_view(tmp_path):
    src = write_source(tmp_path, GOOD.replace("print(6 * 7)", "1 / 0"))
    with pytest.raises(build.BuildError, match="ZeroDivisionError"):
        build.build_one(src)
    assert not list(tmp_path.rglob("*.ipynb")) and not list(tmp_path.rglob("*.tmp"))


def test_write_atomic_leaves_nothing_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "out.json"
    target.write_text("old")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(build.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        build.write_atomic(target, "new")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_missing_source_and_unreadable_source(tmp_path):
    with pytest.raises(build.BuildError, match="no such source"):
        build.read_source(tmp_path / "nope.md")


def test_the_course_views_match_their_sources():
    problems = build.check()
    assert problems == [], "\n".join(problems)


def test_check_command_exit_codes(tmp_path, monkeypatch, capsys):
    assert build.main(["--check"]) == 0
    monkeypatch.setattr(build, "ROOT", tmp_path)
    write_source(tmp_path, GOOD)
    assert build.main(["--check"]) == 1
    assert "missing" in capsys.readouterr().out


def test_timing_record_covers_every_view_within_budget():
    record = json.loads(build.TIMINGS.read_text())["notebooks"]
    for src in build.sources():
        rel = str(src.relative_to(build.ROOT))
        assert rel in record, f"{rel} has no build time: run the build"
        entry = record[rel]
        assert entry["seconds"] <= entry["budget"] == build.TREES[rel.split("/")[0]], \
            f"{rel}: {entry['seconds']} s is over its {entry['budget']} s budget"


def test_sources_are_picked_by_any_part_of_their_path():
    both = build.sources(["01_autoencoder_basics"])
    assert [p.relative_to(build.ROOT).as_posix() for p in both] == [
        "notebooks/source/01_autoencoder_basics.md", "solutions/source/01_autoencoder_basics.md"]
    only = build.sources(["solutions/source/01"])
    assert [p.relative_to(build.ROOT).as_posix() for p in only] == ["solutions/source/01_autoencoder_basics.md"]
    assert build.sources(["no-such-chapter"]) == []
