"""The course's website (course_utils/tools/site.py, `make site`): built here with warnings as errors.

One build of both languages into a temporary folder (about 30 s on the 2-core build machine), then
checks of what Sphinx cannot see: every local link and #anchor resolves, every page says its language,
every view of the repository is a page (found by globbing), no formula is left as raw `$...$`, nothing
is loaded from the internet, and the helpers refuse bad input with a clear error. The same site in a
real browser: tests/browser/test_site.py (`make test-browser`).
"""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from course_utils.tools import site

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "_site"
    info = site.build(out)
    return info


def _views(lang: str) -> dict[str, list[str]]:
    return {tree: sorted(p.stem for p in (ROOT / tree / lang).glob("[0-9][0-9]_*.ipynb")
                         if not p.stem.endswith(".updated"))
            for tree in ("notebooks", "solutions")}


class _Text(HTMLParser):
    """A page's visible prose: text outside code, scripts, styles and MathJax's math spans."""

    SKIP = {"script", "style", "pre", "code", "kbd", "samp", "textarea"}
    VOID = {"br", "img", "hr", "meta", "link", "input", "source", "wbr", "area", "col", "embed", "param", "track"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []
        self.chunks: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        cls = dict(attrs).get("class") or ""
        skip = tag in self.SKIP or "math" in cls.split()
        self.stack.append(skip or (bool(self.stack) and self.stack[-1]))

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]):
            self.chunks.append(data)


def prose(page: Path) -> str:
    p = _Text()
    p.feed(page.read_text(encoding="utf-8"))
    return " ".join(p.chunks)


# ------------------------------------------------------------------------------------------ the built site
def test_build_has_every_view_in_both_languages(built):
    out = built["out"]
    for lang in site.LANGS:
        assert built["views"][lang] == _views(lang), "the site must pick up every view by globbing"
        for tree, names in _views(lang).items():
            for name in names:
                assert (out / lang / tree / f"{name}.html").is_file(), f"{lang}/{tree}/{name}.html missing"
        for page in ("index", "glossary", "instructors", "search"):
            assert (out / lang / f"{page}.html").is_file(), f"{lang}/{page}.html missing"
    assert (out / "en" / "contributing.html").is_file()
    assert sorted(p.name for p in out.iterdir()) == [".nojekyll", "en", "hi", "index.html"], "only the two sites"
    assert "hi/index.html" in (out / "index.html").read_text(encoding="utf-8"), "the root opens the Hindi site"
    print(f"site: {built['pages']} pages, {built['bytes'] / 1e6:.1f} MB, built in {built['seconds']:.0f} s")


def test_every_local_link_and_anchor_resolves(built):
    assert site.check_links(built["out"]) == []
    assert site.count_links(built["out"]) > 1000      # the crawl really followed the pages' links


def test_chapter_links_to_solution_and_back_with_anchors(built):
    out = built["out"]
    for lang in site.LANGS:
        chapter = (out / lang / "notebooks" / "00_start_here.html").read_text(encoding="utf-8")
        solution = (out / lang / "solutions" / "00_start_here.html").read_text(encoding="utf-8")
        assert re.search(r'href="\.\./solutions/00_start_here\.html#[\w-]*q-1"', chapter), lang
        assert re.search(r'href="\.\./notebooks/00_start_here\.html#[\w-]*q-1"', solution), lang
        assert 'id="q-1"' in chapter and 'id="q-1"' in solution     # the notebooks' own anchors still work
        assert 'href="../glossary.html"' in chapter                    # chapter -> glossary
        assert 'href="01_autoencoder_basics.html"' in chapter          # chapter -> next chapter


def test_every_page_says_its_language_and_links_the_same_page_in_the_other(built):
    out = built["out"]
    for lang, other in (("hi", "en"), ("en", "hi")):
        for page in site.pages(out / lang):
            parsed = site.parse(page)
            rel = page.relative_to(out / lang).as_posix()
            assert parsed.lang == lang, f"{lang}/{rel}: <html lang={parsed.lang!r}>"
            switch = re.search(r'data-course-switch="(\w+)"', page.read_text(encoding="utf-8"))
            assert switch and switch.group(1) == other, f"{lang}/{rel} has no language switch"
            hrefs = [h for t, h in parsed.refs if t == "a"]
            target = "index.html" if rel == "contributing.html" else rel
            up = "../" * rel.count("/")
            assert f"{up}../{other}/{target}" in hrefs, f"{lang}/{rel}: switch does not lead to {other}/{target}"


def test_no_raw_dollar_math_and_formulas_marked_for_mathjax(built):
    out = built["out"]
    for lang in site.LANGS:
        for page in site.pages(out / lang):
            text = prose(page)
            assert "$" not in text, f"{page.relative_to(out)}: raw $ in prose: {text[text.index('$') - 60:][:120]!r}"
        elbo = (out / lang / "notebooks" / "05_elbo.html").read_text(encoding="utf-8")
        assert elbo.count('class="math notranslate nohighlight"') > 50
        assert '_static/mathjax/tex-chtml.js' in elbo
    assert (out / "hi" / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert (out / "hi" / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2" / "MathJax_Main-Regular.woff").is_file()


def test_nothing_loaded_from_the_internet(built):
    """Pages, scripts and stylesheets reference nothing outside the site (links for the reader aside)."""
    out = built["out"]
    for page in site.pages(out):
        for tag, ref in site.parse(page).refs:
            if tag in ("script", "link", "img", "iframe", "source"):
                assert not re.match(r"(https?:)?//", ref), f"{page.relative_to(out)} loads {ref}"
    for css in out.rglob("*.css"):
        urls = re.findall(r"url\(\s*['\"]?((?:https?:)?//[^)'\"]+)", css.read_text(encoding="utf-8", errors="replace"))
        assert not urls, f"{css.relative_to(out)} loads {urls[:3]}"
    assert (out / "hi" / "_static" / "fonts" / "NotoSansDevanagari-Regular.ttf").is_file()
    assert (out / "hi" / "_static" / "fonts" / "OFL.txt").is_file()


def test_pages_show_download_colab_and_run_time(built):
    out = built["out"]
    times = built["times"]        # what the build read (build_times.json may be rewritten by a build meanwhile)
    recorded = json.loads((ROOT / "build_times.json").read_text(encoding="utf-8"))["notebooks"]
    assert times and set(times) <= set(recorded)
    for lang in site.LANGS:
        for tree, names in _views(lang).items():
            for name in names:
                page = (out / lang / tree / f"{name}.html").read_text(encoding="utf-8")
                assert re.search(rf'href="\.\./_downloads/\w+/{name}\.ipynb"', page), f"{lang}/{tree}/{name}: no download"
                rec = times.get(f"{tree}/source/{name}.md")
                if rec:
                    assert f"{rec['seconds']:.0f} s" in page, f"{lang}/{tree}/{name}: run time not shown"
                assert "Colab" in page
        dl = next((out / lang / "_downloads").rglob("00_start_here.ipynb"))
        original = (ROOT / "notebooks" / lang / "00_start_here.ipynb").read_bytes()
        downloads = [p.read_bytes() for p in (out / lang / "_downloads").rglob("00_start_here.ipynb")]
        assert original in downloads, "the download is the committed view itself"
        assert dl.is_file()


def test_widgets_show_their_static_form(built):
    out = built["out"]
    for lang in site.LANGS:
        page = (out / lang / "notebooks" / "00_start_here.html").read_text(encoding="utf-8")
        assert "epochs: 100%|██████████| 10/10" in page          # the saved progress bar, as text
        assert "sliders: test digit = 0" in page                   # the slider widget's caption ...
        assert "widget-view+json" not in page                      # ... and no empty widget box
        rep = (out / lang / "notebooks" / "06_reparameterization.html").read_text(encoding="utf-8")
        assert "VBox(children=" not in rep and "sliders: K = 4, D = 16" in rep


def test_glossary_page_has_every_term_in_its_language(built):
    import tomllib

    terms = tomllib.loads((ROOT / "course_utils" / "glossary.toml").read_text(encoding="utf-8"))["term"]
    for lang in site.LANGS:
        text = prose(built["out"] / lang / "glossary.html").replace("\u2019", "'")   # docutils' smart quotes
        for term in terms:
            assert term["forms"][0] in text, f"{lang} glossary lacks {term['forms'][0]!r}"
        gloss = " ".join(terms[0][lang].split())
        assert gloss[:20] in " ".join(text.split())


def test_hindi_search_index_keeps_devanagari_words_whole(built):
    # "शब्दावली" (the glossary's title on every Hindi page) split at its virama and vowel signs, as Sphinx's
    # default splitter does, would be indexed as "शब", "द", "वल" and never found as one word.
    for lang, word, fragments in (("hi", "शब्दावली", ("शब", "वल")), ("en", "reparameter", ())):
        raw = (built["out"] / lang / "searchindex.js").read_text(encoding="utf-8")
        index = json.loads(raw[raw.index("(") + 1: raw.rindex(")")])
        assert word in index["terms"], f"{lang}: {word!r} not indexed"
        for piece in fragments:
            assert piece not in index["terms"], f"a Devanagari word was split at its vowel signs: {piece!r}"
    data = (built["out"] / "hi" / "_static" / "language_data.js").read_text(encoding="utf-8")
    assert "\\p{Mark}" in data and 'normalize("NFC")' in data


# ------------------------------------------------------------------------------------------ the helpers
def test_hindi_search_language_splits_and_stems():
    import sys

    sys.path.insert(0, str(ROOT / "site"))
    from course_search import SearchHindi

    lang = SearchHindi({})
    assert lang.split("अभ्यास प्रश्न: latent space") == ["अभ्यास", "प्रश्न", "latent", "space"]
    assert lang.stem("Decoders") == lang.stem("decoder")            # English terms stemmed as in English
    decomposed, precomposed = "ज\u093cयादा", "\u095bयादा"             # nukta typed two ways: one word
    assert lang.stem(lang.split(decomposed)[0]) == lang.stem(lang.split(precomposed)[0])


def test_rewrite_links_points_views_to_pages():
    kw = dict(root=ROOT, where="test")
    md = "[जवाब](../../solutions/hi/00_start_here.ipynb#q-1) [next](01_autoencoder_basics.ipynb) [web](https://x.org/a)"
    got = site.rewrite_links(md, lang="hi", page="notebooks/00_start_here", repo_dir="notebooks/hi", **kw)
    assert "[जवाब](../solutions/00_start_here.ipynb#solutions-00_start_here-q-1)" in got
    assert "[next](01_autoencoder_basics.ipynb)" in got and "[web](https://x.org/a)" in got
    inpage = site.rewrite_links("[Exercise 1](#ex-1) [top](#not-an-anchor)", lang="en", page="notebooks/00_start_here",
                                repo_dir="notebooks/en", **kw)
    assert inpage == "[Exercise 1](#notebooks-00_start_here-ex-1) [top](#not-an-anchor)"
    readme = site.rewrite_links("[en](notebooks/en/00_start_here.ipynb) [hi](README.hi.md)", lang="hi", page="index",
                                repo_dir="", **kw)
    assert '<a href="../en/notebooks/00_start_here.html" hreflang="en">en</a>' in readme
    assert "[hi](index.md)" in readme
    with pytest.raises(site.SiteError, match="does not exist"):
        site.rewrite_links("[x](../../solutions/hi/99_nothing.ipynb#q-1)", lang="hi", page="notebooks/00_start_here",
                           repo_dir="notebooks/hi", **kw)
    with pytest.raises(site.SiteError, match="leaves the repository"):
        site.rewrite_links("[x](../../../etc/passwd)", lang="hi", page="notebooks/00_start_here",
                           repo_dir="notebooks/hi", **kw)


def test_anchors_become_sphinx_targets_and_stay_html():
    md = '<a id="ex-1"></a>\n## Exercise 1\n\n1. <a id="q-1"></a>Why? [answer](x)\n2. plain'
    got = site.anchors_to_targets(md, "notebooks/00_start_here")
    assert got.split("\n")[:2] == ["(notebooks-00_start_here-ex-1)=", '<a id="ex-1"></a>']
    assert "1. (notebooks-00_start_here-q-1)=\n   <a id=\"q-1\"></a>Why? [answer](x)" in got
    assert got.endswith("2. plain")


def test_bad_input_is_refused_clearly(tmp_path):
    with pytest.raises(site.SiteError, match="unknown language"):
        site.views("fr")
    with pytest.raises(site.SiteError, match="no views"):
        site.views("hi", root=tmp_path)
    with pytest.raises(site.SiteError, match="overwrite the course"):
        site.build(ROOT / "notebooks")
    with pytest.raises(site.SiteError, match="overwrite the course"):
        site.build(ROOT)


def test_widget_state_to_text():
    state = {"a": {"model_name": "HBoxModel", "state": {"children": ["IPY_MODEL_b", "IPY_MODEL_c", "IPY_MODEL_d"]}},
             "b": {"model_name": "HTMLModel", "state": {"value": "epochs:\u2007100%"}},
             "c": {"model_name": "FloatProgressModel", "state": {"value": 5.0, "max": 10.0}},
             "d": {"model_name": "HTMLModel", "state": {"value": "\u20075/10\u2007[00:01&lt;00:01]"}},
             "e": {"model_name": "IntSliderModel", "state": {"description": "k", "value": 3}}}
    assert site._widget_text("a", state) == "epochs: 100%|█████     | 5/10 [00:01<00:01]"
    assert site._widget_text("e", state) is None
    assert site._controls_text("e", state).startswith("sliders: k = 3 (")
    assert site._controls_text("b", state) is None


def test_staged_view_keeps_code_and_outputs(tmp_path):
    """The site renders the committed view: the same code and outputs (bar the widget views), no execution."""
    src = ROOT / "notebooks" / "en" / "01_autoencoder_basics.ipynb"
    dest = tmp_path / "v.ipynb"
    site.stage_notebook(src, dest, lang="en", tree="notebooks", name=src.stem, times={})
    a, b = nbformat.read(src, as_version=4), nbformat.read(dest, as_version=4)
    code_a = [c for c in a.cells if c.cell_type == "code"]
    code_b = [c for c in b.cells if c.cell_type == "code"]
    assert [c.source for c in code_a] == [c.source for c in code_b]
    strip = lambda outs: [{k: v for k, v in o.get("data", {}).items() if k != site.WIDGET} for o in outs]  # noqa: E731
    for ca, cb in zip(code_a, code_b):
        if not any(site.WIDGET in o.get("data", {}) for o in ca.outputs):
            assert ca.outputs == cb.outputs
        else:
            assert [d for d in strip(ca.outputs) if "image/png" in d] == [d for d in strip(cb.outputs) if "image/png" in d]
    assert "widgets" not in b.metadata


def test_check_links_finds_planted_dead_links_and_anchors(tmp_path):
    (tmp_path / "hi").mkdir()
    (tmp_path / "hi" / "b.html").write_text('<html lang="hi"><body><p id="x">x</p></body></html>', encoding="utf-8")
    (tmp_path / "hi" / "a.html").write_text(
        '<html lang="hi"><body><a href="b.html#x">ok</a> <a href="b.html#y">no id</a> <a href="c.html">no file</a>'
        ' <a href="../../outside.html">outside</a> <a href="https://example.org/">web</a>'
        ' <img src="img.png"></body></html>', encoding="utf-8")
    problems = site.check_links(tmp_path)
    assert len(problems) == 4, problems
    assert any("no id 'y'" in p for p in problems) and any("c.html -> no such file" in p for p in problems)
    assert any("leaves the site" in p for p in problems) and any("img.png" in p for p in problems)
    assert site.count_links(tmp_path) == 5          # the web link is not a local one


def test_a_sphinx_warning_fails_the_build(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "index.md").write_text("# Title\n\nA link to [a page that is not there](nothing.md).\n", encoding="utf-8")
    mathjax = site.stage_mathjax(tmp_path / "_mathjax")
    with pytest.raises(site.SiteError, match="nothing"):
        site.sphinx("en", src, tmp_path / "out", mathjax)


def test_page_header_opens_colab_once_the_repository_is_set(tmp_path):
    times = {"notebooks/source/05_elbo.md": {"seconds": 16.3, "budget": 60.0}}
    (tmp_path / "pyproject.toml").write_text('[tool.course]\nrepository = ""\n', encoding="utf-8")
    unset = site.page_header("en", "notebooks", "05_elbo", times, root=tmp_path)
    assert "colab.research.google.com" not in unset and "upload it to Colab" in unset
    assert "runs in 16 s on a 2-core CPU (budget 60 s" in unset
    (tmp_path / "pyproject.toml").write_text('[tool.course]\nrepository = "https://github.com/someone/course"\n'
                                             'branch = "main"\n', encoding="utf-8")
    hi = site.page_header("hi", "solutions", "05_elbo", {}, root=tmp_path)
    assert ("[Colab में खोलें](https://colab.research.google.com/github/someone/course/blob/main/"
            "solutions/hi/05_elbo.ipynb)") in hi
    assert "run time अभी `build_times.json` में दर्ज नहीं है" in hi
    assert "{download}`यह notebook डाउनलोड करें <../_views/solutions/05_elbo.ipynb>`" in hi
