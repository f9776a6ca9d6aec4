"""The course's website: the committed views of both languages as two Sphinx sites (myst-nb, sphinx-book-theme).

    python -m course_utils.tools.site                 # build into _site/ (hi/ and en/), as `make site` does
    python -m course_utils.tools.site --out DIR       # build elsewhere
    python -m course_utils.tools.site --keep-stage    # keep the staged Sphinx sources (for debugging)

Nothing is executed: the views are rendered with the outputs they were committed with. For each language the
build stages a Sphinx source folder (site/ holds the shared configuration):

* every chapter and solution view found by globbing notebooks/<lang>/ and solutions/<lang>/ (new chapters
  appear by themselves), with the views' relative links (`../../solutions/hi/NN_slug.ipynb#q-1`) rewritten
  to the site's pages, a header on each page (download the view, open it in Colab, its run time from
  build_times.json, the glossary) and the widgets' outputs replaced by what they show without a kernel
  (the figure and caption printed beside every slider widget; a progress bar's final text);
* the home page from README.hi.md / README.md, INSTRUCTORS(.hi).md, the glossary from
  course_utils/glossary.toml, and (English site) CONTRIBUTING.md; links between the two languages point
  to the other site's page;
* MathJax 3 (from the `site` extra's django-static-mathjax) and the bundled Devanagari font, so that the
  site renders formulas and Hindi with no network.

Sphinx runs with warnings as errors (a broken link, a missing anchor or image fails the build); then every
`<a href>` and `src` of the output is checked against the files and ids of the output (`check_links`).
"""
from __future__ import annotations

import argparse
import functools
import html
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat

from .build import course_settings

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "site"
OUT = ROOT / "_site"
LANGS = ("hi", "en")                    # Hindi first: the course's first language
TREES = ("notebooks", "solutions")
VIEW_NAME = re.compile(r"\d\d_[a-z0-9_]+\.ipynb")
WIDGET = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# Markdown links and images: [text](target) / ![alt](target); targets have no spaces in this course.
LINK = re.compile(r"(!?)\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\(([^)\s]+)\)")

TEXT = {
    "hi": {
        "chapters": "अध्याय", "solutions": "हल", "more": "और पढ़ें",
        "download": "यह notebook डाउनलोड करें",
        "download_note": "outputs के साथ, JupyterLab या Colab में खोलने के लिए",
        "glossary_link": "शब्दावली (glossary)",
        "colab": "Colab में खोलें",
        "colab_missing": ("Colab में खोलने के लिए: ऊपर से notebook डाउनलोड करें और Colab में upload करें "
                          "(File → Upload notebook)। उसका पहला cell बताता है कि course कैसे install करें। "
                          "`pyproject.toml` की `[tool.course] repository` setting भरने पर यहाँ सीधा Colab link आ जाता है।"),
        "time": "2-core CPU पर पूरा notebook चलने में {s:.0f} s लगते हैं (budget {b:.0f} s; `build_times.json` से)।",
        "time_missing": "इस notebook का run time अभी `build_times.json` में दर्ज नहीं है।",
        "glossary_title": "शब्दावली (Glossary)",
        "glossary_intro": ("इस course की हिंदी में terms of art English में ही, Latin script में लिखे जाते हैं। "
                           "यहाँ हर term का अर्थ एक पंक्ति में है; यही सूची `course_utils/glossary.toml` में है, "
                           "और build हर हिंदी cell को इसी से जाँचता है।"),
        "glossary_cols": ("Term", "दूसरे रूप", "अर्थ"),
    },
    "en": {
        "chapters": "Chapters", "solutions": "Solutions", "more": "More",
        "download": "Download this notebook",
        "download_note": "with its outputs, to open in JupyterLab or Colab",
        "glossary_link": "Glossary",
        "colab": "Open in Colab",
        "colab_missing": ("To open it in Colab: download the notebook above and upload it to Colab "
                          "(File → Upload notebook); its first cell says how to install the course. Once "
                          "`[tool.course] repository` is set in `pyproject.toml`, a direct Colab link appears here."),
        "time": "The whole notebook runs in {s:.0f} s on a 2-core CPU (budget {b:.0f} s; from `build_times.json`).",
        "time_missing": "This notebook's run time is not recorded in `build_times.json` yet.",
        "glossary_title": "Glossary",
        "glossary_intro": ("The course's Hindi keeps terms of art in English, in Latin script. Each term has a "
                           "one-line meaning here; the same list, `course_utils/glossary.toml`, is what the build "
                           "checks every Hindi cell against."),
        "glossary_cols": ("Term", "other forms", "meaning"),
    },
}


class SiteError(Exception):
    """The site cannot be built: what is wrong and how to fix it."""


# ---------------------------------------------------------------------------------------------- discovery
def views(lang: str, root: Path = ROOT) -> dict[str, list[str]]:
    """Every committed view of `lang`, by tree: {"notebooks": ["00_start_here", ...], "solutions": [...]}."""
    if lang not in LANGS:
        raise SiteError(f"unknown language {lang!r}: use one of {LANGS}")
    found = {tree: sorted(p.stem for p in (root / tree / lang).glob("*.ipynb") if VIEW_NAME.fullmatch(p.name))
             for tree in TREES}
    if not found["notebooks"]:
        raise SiteError(f"no views in {root / 'notebooks' / lang}: build them first "
                        "(python -m course_utils.tools.build)")
    return found


def page_of(repo_path: str, root: Path = ROOT) -> tuple[str, str] | None:
    """The site page (language, docname) that shows the repository file `repo_path`, or None."""
    fixed = {"README.hi.md": ("hi", "index"), "README.md": ("en", "index"),
             "INSTRUCTORS.hi.md": ("hi", "instructors"), "INSTRUCTORS.md": ("en", "instructors"),
             "CONTRIBUTING.md": ("en", "contributing")}
    if repo_path in fixed:
        return fixed[repo_path]
    m = re.fullmatch(r"(notebooks|solutions)/(hi|en)/(\d\d_[a-z0-9_]+)\.ipynb", repo_path)
    if m and (root / repo_path).is_file():
        return m.group(2), f"{m.group(1)}/{m.group(3)}"
    return None


# ------------------------------------------------------------------------------------------ link rewriting
def rewrite_links(md: str, *, lang: str, page: str, repo_dir: str, where: str, root: Path = ROOT) -> str:
    """Point the relative links of markdown written at `repo_dir` (a folder of the repository) to the site.

    `page` is the docname the markdown becomes on the `lang` site. A link to a file that the site shows
    becomes a link to that page (same language: a document link Sphinx checks, fragment kept; the other
    language: a link into the other site); a link to any other repository file goes to the repository's
    address if one is set. Anything else is an error naming the link.
    """
    settings = course_settings(root)
    page_dir = posixpath.dirname(page)

    def fix(m: re.Match) -> str:
        bang, text, target = m.groups()
        parts = urlsplit(target)
        if parts.scheme or target.startswith("mailto:"):
            return m.group(0)
        if target.startswith("#"):          # a link within the page: to its label if it is a view anchor
            own = root / posixpath.dirname(page) / lang / f"{posixpath.basename(page)}.ipynb"
            if page.startswith(TREES) and own.is_file() and target[1:] in view_anchors(own):
                return f"{bang}[{text}](#{label(page, target[1:])})"
            return m.group(0)
        path, frag = unquote(parts.path), (f"#{parts.fragment}" if parts.fragment else "")
        repo_path = posixpath.normpath(posixpath.join(repo_dir, path))
        if repo_path.startswith("../"):
            raise SiteError(f"{where}: link {target!r} leaves the repository")
        found = page_of(repo_path, root)
        if found and not bang:
            to_lang, doc = found
            if to_lang == lang:
                rel = posixpath.relpath(doc, page_dir or ".")
                ext = ".ipynb" if doc.startswith(TREES) else ".md"
                if frag and doc.startswith(TREES) and frag[1:] in view_anchors(root / repo_path):
                    frag = "#" + label(doc, frag[1:])
                return f"[{text}]({rel}{ext}{frag})"
            up = "../" * (page.count("/") + 1)
            href = f"{up}{to_lang}/{doc}.html{frag}"
            return f'<a href="{html.escape(href)}" hreflang="{to_lang}">{text}</a>'
        if bang and (root / repo_path).is_file():
            return m.group(0)        # an image beside the page: staged with it (none in the course yet)
        if (root / repo_path).exists() and settings["repository"]:
            kind = "tree" if (root / repo_path).is_dir() else "blob"
            return f"{bang}[{text}]({settings['repository']}/{kind}/{settings['branch']}/{repo_path}{frag})"
        if (root / repo_path).exists():
            # No public address yet: name the file, in code, instead of a link that would break on the site.
            return f"{text} (`{repo_path}`)" if text.strip("`") != repo_path else f"`{repo_path}`"
        raise SiteError(f"{where}: link {target!r} points to {repo_path!r}, which does not exist")

    return LINK.sub(fix, md)


# ----------------------------------------------------------------------------------------- notebook pages
ANCHOR = re.compile(r'<a id="([\w.-]+)"></a>')
ANCHOR_LINE = re.compile(r'(\s*)(<a id="([\w.-]+)"></a>)\s*(.*)')
ANCHOR_ITEM = re.compile(r'(\s*)(\d+[.)]|[-*+])(\s+)(<a id="([\w.-]+)"></a>)\s*(.*)')


def label(page: str, anchor: str) -> str:
    """The Sphinx label of the view anchor `anchor` on page `page` (labels are global in Sphinx, anchors per page)."""
    return f"{page.replace('/', '-')}-{anchor}"


@functools.lru_cache(maxsize=None)
def view_anchors(path: Path) -> frozenset[str]:
    """The `<a id="...">` anchors of a view's markdown cells."""
    nb = nbformat.read(path, as_version=4)
    return frozenset(a for c in nb.cells if c.cell_type == "markdown" for a in ANCHOR.findall(c.source))


def anchors_to_targets(md: str, page: str) -> str:
    """Give each HTML anchor of a view (`<a id="q-1"></a>`) a MyST target Sphinx knows, checks and links to.

    The anchor stays (so `page.html#q-1` works as in the notebook); the target before it is named by
    `label()`. Two places occur in the course: alone at the start of a line (before a heading) and at the
    start of a list item (a practice question). Anywhere else the anchor gets no target, and a link to
    it fails the build.
    """
    out = []
    for line in md.split("\n"):
        if m := ANCHOR_LINE.fullmatch(line):
            indent, anchor, name, rest = m.groups()
            out += [f"{indent}({label(page, name)})=", f"{indent}{anchor}{rest}"]
        elif m := ANCHOR_ITEM.fullmatch(line):
            indent, marker, space, anchor, name, rest = m.groups()
            pad = " " * len(indent + marker + space)
            out += [f"{indent}{marker}{space}({label(page, name)})=", f"{pad}{anchor}{rest}"]
        else:
            out.append(line)
    return "\n".join(out)


def _widget_text(model_id: str, state: dict) -> str | None:
    """The text a saved tqdm progress bar shows (prefix, percentage, counts), or None for other widgets."""
    model = state.get(model_id)
    if not model or model.get("model_name") != "HBoxModel":
        return None
    kids = [state.get(str(c).removeprefix("IPY_MODEL_"), {}) for c in model["state"].get("children", [])]
    names = [k.get("model_name") for k in kids]
    if names != ["HTMLModel", "FloatProgressModel", "HTMLModel"]:
        return None
    bar = kids[1]["state"]
    frac = bar.get("value", 0) / bar["max"] if bar.get("max") else 0.0
    filled = round(10 * min(max(frac, 0.0), 1.0))
    text = f"{kids[0]['state'].get('value', '')}|{'█' * filled}{' ' * (10 - filled)}|{kids[2]['state'].get('value', '')}"
    return html.unescape(text).replace("\u2007", " ")


def _controls_text(model_id: str, state: dict) -> str | None:
    """A caption naming the saved values of a widget's controls (sliders, dropdowns), or None if it has none."""
    found = []

    def walk(mid: str) -> None:
        model = state.get(mid)
        if not model:
            return
        st = model.get("state", {})
        if st.get("description") and "_options_labels" in st and st.get("index") is not None:
            found.append(f"{st['description']} = {st['_options_labels'][st['index']]}")
        elif st.get("description") and "value" in st and model.get("model_name") not in ("HTMLModel", "LabelModel"):
            found.append(f"{st['description']} = {st['value']}")
        for child in st.get("children", []):
            walk(str(child).removeprefix("IPY_MODEL_"))

    walk(model_id)
    return ("sliders: " + ", ".join(found) + " (यह cell चलाकर इन्हें हिलाएँ / run this cell to move them)"
            if found else None)


WIDGET_REPR = re.compile(r"(VBox|HBox|Box|GridBox|\w+Slider|Dropdown|interactive)\(")


def stage_notebook(src: Path, dest: Path, *, lang: str, tree: str, name: str, times: dict, root: Path = ROOT) -> None:
    """Write the site's copy of one view: links rewritten, a page header, widgets as their static text."""
    nb = nbformat.read(src, as_version=4)
    where = src.relative_to(root).as_posix()
    page = f"{tree}/{name}"
    state = nb.metadata.pop("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    cells = []
    for cell in nb.cells:
        if cell.get("id") == "colab-badge":
            continue                          # the header below has the Colab link
        if cell.cell_type == "markdown":
            cell.source = anchors_to_targets(rewrite_links(cell.source, lang=lang, page=page,
                                                           repo_dir=f"{tree}/{lang}", where=where, root=root),
                                             page)
        elif cell.cell_type == "code":
            outputs = []
            for out in cell.get("outputs", []):
                data = out.get("data")
                if data is not None and WIDGET in data:
                    # The widget itself needs a kernel: keep what it shows without one. A progress bar's
                    # final text; the caption the course's widgets print; else the saved control values.
                    # The figure a slider widget draws is a PNG output of its own, kept as it is.
                    model_id = data.pop(WIDGET).get("model_id", "")
                    plain = "".join(data.get("text/plain", ""))
                    if not plain or WIDGET_REPR.match(plain):
                        text = _widget_text(model_id, state) or _controls_text(model_id, state)
                        if text is None:
                            continue
                        data.clear()
                        data["text/plain"] = text
                outputs.append(out)
            cell.outputs = outputs
        cells.append(cell)
    first_md = next((i for i, c in enumerate(cells) if c.cell_type == "markdown"), -1)
    cells.insert(first_md + 1, nbformat.v4.new_markdown_cell(page_header(lang, tree, name, times, root),
                                                             id="course-site-header"))
    nb.cells = cells
    nb.metadata.setdefault("language_info", {}).setdefault("name", "python")
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)


def page_header(lang: str, tree: str, name: str, times: dict, root: Path = ROOT) -> str:
    """The box under a chapter's title: download the view, open it in Colab, its run time, the glossary."""
    t = TEXT[lang]
    view_rel = f"{tree}/{lang}/{name}.ipynb"
    settings = course_settings(root)
    lines = [f"{{download}}`{t['download']} <../_views/{tree}/{name}.ipynb>` ({t['download_note']}) · "
             f"[{t['glossary_link']}](../glossary.md)"]
    if settings["repository"]:
        slug = settings["repository"].removeprefix("https://github.com/")
        url = f"https://colab.research.google.com/github/{slug}/blob/{settings['branch']}/{view_rel}"
        lines.append(f"[{t['colab']}]({url}) (`{view_rel}`)")
    else:
        lines.append(t["colab_missing"])
    rec = times.get(f"{tree}/source/{name}.md")
    lines.append(t["time"].format(s=rec["seconds"], b=rec["budget"]) if rec else t["time_missing"])
    body = "\n\n".join(lines)
    return f"```{{container}} course-page-info\n{body}\n```"


# ------------------------------------------------------------------------------------------- other pages
def glossary_page(lang: str, root: Path = ROOT) -> str:
    """The glossary of terms of art (course_utils/glossary.toml) as one page, in `lang`."""
    terms = tomllib.loads((root / "course_utils" / "glossary.toml").read_text(encoding="utf-8")).get("term", [])
    t = TEXT[lang]
    rows = [f"| {' | '.join(t['glossary_cols'])} |", "| --- | --- | --- |"]

    def cell(s: str) -> str:
        return s.replace("|", "\\|").replace("\n", " ")

    for term in sorted(terms, key=lambda x: x["forms"][0].lower()):
        forms = term["forms"]
        rows.append(f"| **{cell(forms[0])}** | {cell(', '.join(forms[1:]))} | {cell(term.get(lang, ''))} |")
    return f"# {t['glossary_title']}\n\n{t['glossary_intro']}\n\n" + "\n".join(rows) + "\n"


def markdown_page(src: Path, *, lang: str, page: str, root: Path = ROOT, toc: str = "") -> str:
    """A repository markdown file as a site page at `page`, links rewritten; `toc` appended (home page)."""
    text = src.read_text(encoding="utf-8")
    text = rewrite_links(text, lang=lang, page=page, repo_dir=posixpath.dirname(src.relative_to(root).as_posix()),
                         where=src.name, root=root)
    return text.rstrip("\n") + "\n" + toc


def toctree(lang: str, found: dict[str, list[str]]) -> str:
    t = TEXT[lang]
    more = ["glossary", "instructors"] + (["contributing"] if lang == "en" else [])
    blocks = []
    for caption, docs in ((t["chapters"], [f"notebooks/{n}" for n in found["notebooks"]]),
                          (t["solutions"], [f"solutions/{n}" for n in found["solutions"]]),
                          (t["more"], more)):
        blocks.append(f"\n```{{toctree}}\n:hidden:\n:caption: {caption}\n:maxdepth: 1\n\n" + "\n".join(docs) + "\n```\n")
    return "".join(blocks)


def stage_mathjax(dest: Path) -> Path:
    """Copy the part of MathJax 3 the site needs (TeX input, CommonHTML output and its fonts, menu)."""
    try:
        import mathjax
    except ImportError as err:
        raise SiteError("MathJax is missing: install the site extra (`make install`, or "
                        "`.venv/bin/python -m pip install -e '.[site]'`)") from err
    es5 = Path(mathjax.__path__[0]) / "static" / "mathjax" / "es5"
    if not (es5 / "tex-chtml.js").is_file():
        raise SiteError(f"{es5}: no tex-chtml.js; reinstall django-static-mathjax (the site extra)")
    out = dest / "mathjax"
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy2(es5 / "tex-chtml.js", out / "tex-chtml.js")
    for sub in ("input/tex/extensions", "output/chtml/fonts/woff-v2", "ui", "a11y"):
        if (es5 / sub).is_dir():
            shutil.copytree(es5 / sub, out / sub, dirs_exist_ok=True)
    shutil.copy2(es5.parent / "LICENSE", out / "LICENSE")
    return dest


def run_times(root: Path = ROOT) -> dict[str, dict]:
    """build_times.json's record of every source ({"notebooks/source/NN_slug.md": {"seconds", "budget"}})."""
    path = root / "build_times.json"
    return json.loads(path.read_text(encoding="utf-8")).get("notebooks", {}) if path.is_file() else {}


def stage(lang: str, dest: Path, root: Path = ROOT, times: dict | None = None) -> dict[str, list[str]]:
    """Write the Sphinx source folder of the `lang` site into `dest`; return the views it holds."""
    found = views(lang, root)
    times = run_times(root) if times is None else times
    for tree, names in found.items():
        for name in names:
            src = root / tree / lang / f"{name}.ipynb"
            stage_notebook(src, dest / tree / f"{name}.ipynb", lang=lang, tree=tree, name=name, times=times, root=root)
            (dest / "_views" / tree).mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / "_views" / tree / f"{name}.ipynb")
    readme = root / ("README.hi.md" if lang == "hi" else "README.md")
    (dest / "index.md").write_text(markdown_page(readme, lang=lang, page="index", root=root,
                                                 toc=toctree(lang, found)), encoding="utf-8")
    instructors = root / ("INSTRUCTORS.hi.md" if lang == "hi" else "INSTRUCTORS.md")
    (dest / "instructors.md").write_text(markdown_page(instructors, lang=lang, page="instructors", root=root),
                                         encoding="utf-8")
    if lang == "en":
        (dest / "contributing.md").write_text(markdown_page(root / "CONTRIBUTING.md", lang=lang,
                                                            page="contributing", root=root), encoding="utf-8")
    (dest / "glossary.md").write_text(glossary_page(lang, root), encoding="utf-8")
    return found


# ----------------------------------------------------------------------------------------------- building
def sphinx(lang: str, src: Path, out: Path, mathjax: Path, jobs: str = "1") -> None:
    """Run Sphinx on one staged language, warnings as errors."""
    # Pages that only one site has (CONTRIBUTING.md is English only): their language switch leads home.
    only_here = ["contributing"] if lang == "en" else []
    env = {**os.environ, "COURSE_SITE_LANG": lang,
           "COURSE_SITE_INFO": json.dumps({"mathjax": str(mathjax), "only_here": only_here}),
           "PYTHONHASHSEED": "0"}
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going", "-n", "-E",
           "-j", jobs, "-c", str(CONF), "-d", str(src.parent / f"doctrees-{lang}"), str(src), str(out)]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if res.returncode != 0:
        raise SiteError(f"Sphinx failed on the {lang} site (warnings are errors):\n{res.stderr.strip()[-6000:]}")


def build(out: Path = OUT, root: Path = ROOT, keep_stage: bool = False, jobs: str = "1") -> dict:
    """Build both sites into `out` (replaced whole, only once both built); return what was built."""
    out = Path(out).resolve()
    if out == root or out in root.parents or out in (root / t for t in ("notebooks", "solutions", "site")):
        raise SiteError(f"--out {out} would overwrite the course's own files: choose a new folder")
    start = time.monotonic()
    view_anchors.cache_clear()           # views may have been rebuilt since the last build in this process
    work = Path(tempfile.mkdtemp(prefix="course-site-"))
    try:
        mathjax = stage_mathjax(work / "_mathjax")
        built = work / "out"
        staged, times = {}, run_times(root)      # read once: both languages show the same run times
        for lang in LANGS:
            staged[lang] = stage(lang, work / lang, root, times)
            sphinx(lang, work / lang, built / lang, mathjax, jobs)
        shutil.rmtree(built / "jupyter_execute", ignore_errors=True)   # myst-nb's copies of the pages' notebooks
        for lang in LANGS:   # the build machinery's leftovers, not part of the site
            for junk in (".buildinfo", ".doctrees", ".buildinfo.bak"):
                p = built / lang / junk
                shutil.rmtree(p) if p.is_dir() else p.unlink(missing_ok=True)
            for source_map in (built / lang / "_static").rglob("*.map"):   # the theme's debugging maps (~3 MB)
                source_map.unlink()
        (built / "index.html").write_text(REDIRECT, encoding="utf-8")
        (built / ".nojekyll").write_text("", encoding="utf-8")
        problems = check_links(built)
        if problems:
            raise SiteError("broken links in the built site:\n" + "\n".join(problems[:50]))
        if out.exists():
            shutil.rmtree(out)
        shutil.move(str(built), str(out))
    finally:
        if keep_stage:
            print(f"staged sources kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    html_pages = pages(out)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return {"seconds": time.monotonic() - start, "pages": len(html_pages), "bytes": size, "out": out,
            "views": staged, "times": times}


REDIRECT = """<!DOCTYPE html>
<html lang="hi">
<head>
<meta charset="utf-8">
<title>Autoencoders से VAE तक / From Autoencoders to VAEs</title>
<meta http-equiv="refresh" content="0; url=hi/index.html">
<link rel="alternate" hreflang="hi" href="hi/index.html">
<link rel="alternate" hreflang="en" href="en/index.html">
</head>
<body>
<p><a href="hi/index.html" hreflang="hi">हिंदी</a> · <a href="en/index.html" hreflang="en" lang="en">English</a></p>
</body>
</html>
"""


# ----------------------------------------------------------------------------------------- link checking
class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str]] = []
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        for key in ("id", "name"):
            if a.get(key) and (key == "id" or tag == "a"):
                self.ids.add(a[key])
        for key in ("href", "src"):
            if a.get(key) and not (tag == "link" and a.get("rel") in ("canonical",)):
                self.refs.append((tag, a[key]))


def parse(page: Path) -> _Page:
    p = _Page()
    p.feed(page.read_text(encoding="utf-8"))
    return p


def pages(site: Path) -> list[Path]:
    """The site's HTML pages (not the theme's template fragments that Sphinx copies into _static/)."""
    return sorted(p for p in site.rglob("*.html") if "_static" not in p.relative_to(site).parts)


def check_links(site: Path) -> list[str]:
    """Every local href/src of every page resolves to a file of `site`, and every #fragment to an id there."""
    problems, parsed = [], {}

    def get(path: Path) -> _Page:
        if path not in parsed:
            parsed[path] = parse(path)
        return parsed[path]

    for page in pages(site):
        for tag, ref in get(page).refs:
            parts = urlsplit(ref)
            if parts.scheme or ref.startswith(("//", "mailto:", "javascript:", "data:")):
                continue
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if site.resolve() not in target.resolve().parents and target.resolve() != site.resolve():
                problems.append(f"{page.relative_to(site)}: {ref} leaves the site")
                continue
            if not target.is_file():
                problems.append(f"{page.relative_to(site)}: {ref} -> no such file")
                continue
            if parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in get(target).ids:
                problems.append(f"{page.relative_to(site)}: {ref} -> no id {parts.fragment!r} in {target.name}")
    return problems


def count_links(site: Path) -> int:
    """How many local href/src references the site's pages hold (what check_links checks)."""
    return sum(1 for page in pages(site) for _, ref in parse(page).refs
               if not urlsplit(ref).scheme and not ref.startswith(("//", "mailto:", "javascript:", "data:")))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=OUT, help="output folder (default: _site/, not committed)")
    ap.add_argument("--keep-stage", action="store_true", help="keep the staged Sphinx sources")
    ap.add_argument("-j", "--jobs", default="1", help="Sphinx's parallel jobs (default 1)")
    args = ap.parse_args(argv)
    try:
        info = build(args.out, keep_stage=args.keep_stage, jobs=args.jobs)
    except SiteError as err:
        print(f"make site: {err}", file=sys.stderr)
        return 1
    n = {lang: sum(len(v) for v in info["views"][lang].values()) for lang in LANGS}
    print(f"site built in {info['seconds']:.0f} s: {info['out']} ({info['pages']} pages, "
          f"{info['bytes'] / 1e6:.1f} MB; views hi {n['hi']}, en {n['en']}; "
          f"{count_links(info['out'])} local links checked). Open {info['out'] / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
