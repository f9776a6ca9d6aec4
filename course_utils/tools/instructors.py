"""The generated part of INSTRUCTORS.md and INSTRUCTORS.hi.md: per chapter and per exercise, from the registry.

    python -m course_utils.tools.instructors            # rewrite the generated tables in both files
    python -m course_utils.tools.instructors --check    # exit 1 if they are not current (a test runs this)

`--check` compares everything but the two measured columns of the chapter table (reading estimate and
run time), which move with every edit of a chapter's prose and every build; a new, removed or renamed
chapter or exercise, a new concept heading or a changed number of hints makes it fail.

Everything comes from what the course already holds, so the tables cannot drift from it: the exercise
registry (``course_utils/exercises/chNN.py``: answer name, hints, solution length), the solution
notebooks' exercise headings (the concept), each chapter's "Prerequisites" line and prose length, and
``build_times.json`` (the measured run time). Which exercises the learner's library can answer
("open library") and which ship their checker is found by a release, which runs the checkers; it is in
the pack's ``release.json`` and printed by the release, not in this table (the table stays cheap to check).
"""
from __future__ import annotations

import argparse
import ast
import json
import math
import re
import sys

from course_utils.tools.release import ROOT, Entry, registry

FILES = {"en": ROOT / "INSTRUCTORS.md", "hi": ROOT / "INSTRUCTORS.hi.md"}
START = "<!-- generated: python -m course_utils.tools.instructors (do not edit by hand) -->"
END = "<!-- end of generated part -->"
WORDS_PER_MINUTE = 100          # careful reading of technical prose with formulas and code
CLASS_LINES = 3                 # an answer of at most this many lines suits class; longer ones suit homework

T = {
    "en": {"ch_head": "| chapter | reading (est.) | run time (measured) | prerequisite chapters | exercises: class | exercises: homework |",
           "ex_head": "| chapter | exercise | answer (function) | concept | hints | suits |",
           "class": "class", "homework": "homework", "none": "none", "min": "min", "s": "s", "not built": "not built"},
    "hi": {"ch_head": "| chapter | पढ़ने का समय (अंदाज़ा) | चलने का समय (मापा) | पहले के chapters | exercises: class | exercises: homework |",
           "ex_head": "| chapter | exercise | answer (function) | concept | hints | किसके लिए |",
           "class": "class", "homework": "homework", "none": "कोई नहीं", "min": "min", "s": "s", "not built": "build नहीं हुआ"},
}


def _source(tree: str, slug: str) -> str:
    path = ROOT / tree / "source" / f"{slug}.md"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _prose(md: str, lang: str) -> str:
    """The prose cells of one language in a chapter source (jupytext MyST)."""
    out, keep = [], False
    for line in md.splitlines():
        if line.startswith("+++"):
            keep = f'"lang-{lang}"' in line
            continue
        if line.startswith("```{code-cell}"):
            keep = False
            continue
        if keep:
            out.append(line)
    return "\n".join(out)


def concept(entry: Entry, lang: str) -> str:
    """The exercise's heading in the solution notebook, in `lang` (the answer's name if there is none)."""
    heads = re.findall(rf'<a id="ex-{entry.number}"></a>\s*\n#+\s*(?:(?:Exercise|अभ्यास)\s*\d+\s*:\s*)?(.+)',
                       _prose(_source("solutions", entry.slug), lang))
    return heads[0].strip().replace("|", "\\|") if heads else f"`{entry.answer}`"


def answer_lines(entry: Entry) -> int:
    """Lines of code in the reference answer's body (comments and docstrings left out)."""
    node = next(n for n in ast.parse(entry.exercise.solution_code).body
                if isinstance(n, ast.FunctionDef) and n.name == entry.answer)
    body = [s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    return sum(s.end_lineno - s.lineno + 1 for s in body)


def suits(entry: Entry) -> str:
    return "class" if answer_lines(entry) <= CLASS_LINES else "homework"


def chapter_row(ch: str, entries: list[Entry], lang: str, times: dict) -> str:
    t = T[lang]
    slug = entries[0].slug
    md = _source("notebooks", slug)
    words = len(re.findall(r"\w+", _prose(md, "en")))
    reading = 5 * math.ceil(words / WORDS_PER_MINUTE / 5) if words else 0
    label = "पहले से क्या आना चाहिए" if lang == "hi" else "Prerequisites"
    prereq_line = next((ln for ln in _prose(md, lang).splitlines() if ln.startswith(f"**{label}:**")), "")
    prereq = sorted({c for c in re.findall(r"[Cc]hapter (\d\d)", prereq_line) if c != ch})
    seconds = times.get(f"notebooks/source/{slug}.md", {}).get("seconds")
    run = f"{seconds:.0f} {t['s']}" if seconds is not None else t["not built"]
    by = {"class": [], "homework": []}
    for e in entries:
        by[suits(e)].append(f"ex{e.number}")
    return (f"| {ch} | ≈ {reading} {t['min']} | {run} | {', '.join(prereq) or t['none']} | "
            f"{', '.join(by['class']) or '–'} | {', '.join(by['homework']) or '–'} |")


def generated(lang: str) -> str:
    entries = registry()
    try:
        times = json.loads((ROOT / "build_times.json").read_text())["notebooks"]
    except (OSError, ValueError, KeyError):
        times = {}
    t = T[lang]
    chapters: dict[str, list[Entry]] = {}
    for e in entries:
        chapters.setdefault(e.chapter, []).append(e)
    lines = [START, "", t["ch_head"], "| --- | --- | --- | --- | --- | --- |"]
    lines += [chapter_row(ch, es, lang, times) for ch, es in chapters.items()]
    lines += ["", t["ex_head"], "| --- | --- | --- | --- | --- | --- |"]
    for e in entries:
        lines.append(f"| {e.chapter} | ex{e.number} | `{e.answer}` | {concept(e, lang)} | {len(e.exercise.hints)} | "
                     f"{t[suits(e)]} |")
    lines += ["", END]
    return "\n".join(lines)


def render(lang: str, text: str) -> str:
    if START not in text or END not in text:
        raise SystemExit(f"{FILES[lang].name} has no generated part: put the two marker lines\n{START}\n{END}\n"
                         "where the tables go")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return head + generated(lang) + tail


def stable(text: str) -> str:
    """`text` without the measured columns (reading estimate, run time), which move with every prose edit and build."""
    return re.sub(r"^(\| \d\d \| )≈ \d+ \S+ \| [^|]+ \|", r"\1… | … |", text, flags=re.M)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m course_utils.tools.instructors", description=__doc__.split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="exit 1 if a file's generated part is not current")
    a = p.parse_args(argv)
    stale = []
    for lang, path in FILES.items():
        text = path.read_text(encoding="utf-8")
        new = render(lang, text)
        if (stable(new) != stable(text)) if a.check else (new != text):
            if a.check:
                stale.append(path.name)
            else:
                path.write_text(new, encoding="utf-8")
                print(f"updated {path.name}")
    if stale:
        print(f"not current: {', '.join(stale)}; run: python -m course_utils.tools.instructors", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
