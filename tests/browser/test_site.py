"""The course's website as a reader meets it: `make site`'s folder served over HTTP, in headless Chromium.

Run with `make test-browser` (not part of `make test`; tests/test_site.py checks the build itself). It builds
both languages into a temporary folder, serves it with `python -m http.server` on a free port, and checks:

* the root opens the Hindi home page, whose <html lang> is "hi";
* a chapter's answer link lands on the solution's question, and its back link on the chapter's question;
* the language switch leads to the same chapter in English (lang "en") and back;
* search finds a Hindi word on the Hindi site and an English term on the English site;
* formulas are rendered by the bundled MathJax (no raw `$...$` or `\\(...\\)` left in the text);
* Devanagari is drawn with the bundled Noto Sans Devanagari (a web font, so no tofu on any machine);
* nothing is requested from outside the site, and no page has a dead link or a missing anchor (one crawl
  of every page in the browser, with every link and #anchor checked).

Needs Debian's chromium and the `browser` extra (Playwright driving /usr/bin/chromium; no browser download).
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections import deque
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import pytest

if not os.environ.get("COURSE_BROWSER_TEST"):
    pytest.skip("the browser test runs with `make test-browser`", allow_module_level=True)

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from course_utils.tools import site as site_tool  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
CHAPTER = "notebooks/00_start_here.html"
SOLUTION = "solutions/00_start_here.html"
DEVANAGARI = re.compile(r"[\u0900-\u097f]+")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The site built into a temporary folder and served by `python -m http.server` on a free port."""
    out = tmp_path_factory.mktemp("site") / "_site"
    info = site_tool.build(out)
    port = _free_port()
    log = open(out.parent / "http.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                               "--directory", str(out)], stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/index.html", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("python -m http.server did not start")
            time.sleep(0.2)
        yield {"base": base, "out": out, "info": info}
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture()
def page(browser, served):
    """A fresh page that records every request leaving the site and every failed one."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.outside, pg.failed = [], []
    pg.on("request", lambda r: None if r.url.startswith(served["base"]) or r.url.startswith("data:")
          else pg.outside.append(r.url))
    # A fetch cut short by leaving the page (search fetches its hits' pages for context) is no failure.
    pg.on("requestfailed", lambda r: None if "ERR_ABORTED" in (r.failure or "") else pg.failed.append(r.url))
    pg.on("response", lambda r: pg.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    yield pg
    assert pg.outside == [], f"the site asked the internet for {pg.outside[:5]}"
    assert pg.failed == [], f"failed requests: {pg.failed[:5]}"
    context.close()


def _path(page: Page, base: str) -> str:
    return page.url.removeprefix(base)


def _in_view(page: Page, element_id: str) -> bool:
    """Whether the element with this id is scrolled into the window (a followed #anchor landed)."""
    return page.evaluate("""(id) => { const e = document.getElementById(id); if (!e) return false;
        const r = e.getBoundingClientRect(); return r.top >= -2 && r.top < window.innerHeight; }""", element_id)


def _wait_math(page: Page) -> int:
    """Wait for MathJax to typeset; return how many formulas it drew."""
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=30_000)
    page.evaluate("() => MathJax.startup.promise")
    return page.evaluate("() => document.querySelectorAll('mjx-container').length")


def test_root_opens_the_hindi_home_page(page, served):
    page.goto(served["base"] + "/")
    page.wait_for_url(re.compile(r"/hi/index\.html$"))
    assert page.evaluate("document.documentElement.lang") == "hi"
    assert page.locator("h1").first.inner_text().startswith("Autoencoders से VAE तक")


def test_chapter_to_solution_and_back(page, served):
    base = served["base"]
    page.goto(f"{base}/hi/{CHAPTER}")
    answer = page.locator(f'a[href^="../{SOLUTION}#"]').first
    href = answer.get_attribute("href")
    answer.click()
    page.wait_for_url(re.compile(re.escape(f"/hi/{SOLUTION}#")))
    anchor = urldefrag(href).fragment
    assert _path(page, base) == f"/hi/{SOLUTION}#{anchor}"
    assert _in_view(page, anchor), "the answer link did not land on the question in the solution"
    back = page.locator(f'a[href^="../{CHAPTER}#"]').first
    back_anchor = urldefrag(back.get_attribute("href")).fragment
    assert back_anchor.split("-")[-2:] == anchor.split("-")[-2:], (anchor, back_anchor)   # the same question
    back.click()
    page.wait_for_url(re.compile(re.escape(f"/hi/{CHAPTER}#")))
    assert _in_view(page, back_anchor), "the back link did not land on the question in the chapter"


def test_language_switch_lands_on_the_same_chapter(page, served):
    base = served["base"]
    page.goto(f"{base}/hi/{CHAPTER}")
    page.locator('a[data-course-switch="en"]').click()
    page.wait_for_url(re.compile(re.escape(f"/en/{CHAPTER}") + "$"))
    assert page.evaluate("document.documentElement.lang") == "en"
    assert not DEVANAGARI.search(page.locator("h1").first.inner_text())
    page.locator('a[data-course-switch="hi"]').click()
    page.wait_for_url(re.compile(re.escape(f"/hi/{CHAPTER}") + "$"))
    assert page.evaluate("document.documentElement.lang") == "hi"


def _search(page: Page, base: str, lang: str, query: str) -> list[str]:
    page.goto(f"{base}/{lang}/search.html?q={urllib.request.quote(query)}")
    page.wait_for_selector("#search-results li a", timeout=30_000)
    return [a.get_attribute("href") for a in page.locator("#search-results li > a").all()]


def test_search_finds_hindi_on_the_hindi_site_and_english_on_the_english(page, served):
    base = served["base"]
    # A Hindi word of chapter 01's title (vowel signs and virama inside it), whatever the title says today.
    page.goto(f"{base}/hi/notebooks/01_autoencoder_basics.html")
    word = max(DEVANAGARI.findall(page.locator("h1").first.inner_text()), key=len)
    hits = _search(page, base, "hi", word)
    assert any("notebooks/01_autoencoder_basics.html" in h for h in hits), (word, hits[:5])
    hits = _search(page, base, "hi", "शब्दावली")
    assert "glossary.html" in hits[0], hits[:3]
    hits = _search(page, base, "en", "reparameterization")
    assert any("06_reparameterization.html" in h for h in hits), hits[:5]


def test_formulas_are_rendered(page, served):
    for lang in ("hi", "en"):
        page.goto(f"{served['base']}/{lang}/notebooks/05_elbo.html")
        assert _wait_math(page) > 50
        text = page.locator("article").inner_text()
        assert "$" not in text and "\\(" not in text and "\\[" not in text, "raw TeX left on the page"
        assert page.evaluate("() => document.querySelectorAll('mjx-merror, .MathJax_Error').length") == 0


def test_devanagari_drawn_with_the_bundled_font(page, served):
    page.goto(f"{served['base']}/hi/{CHAPTER}")
    page.evaluate("() => document.fonts.ready")
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    doc = cdp.send("DOM.getDocument", {"depth": 0})
    for selector in ("article h1", "article p", ".bd-sidenav li a"):
        node = cdp.send("DOM.querySelector", {"nodeId": doc["root"]["nodeId"], "selector": selector})["nodeId"]
        assert node, selector
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        deva = [f for f in fonts if f["familyName"] == "Noto Sans Devanagari"]
        assert deva and deva[0]["isCustomFont"], f"{selector}: Devanagari drawn with {fonts}, not the bundled font"
    assert page.evaluate("""() => [...document.fonts].some(f => f.family.includes('Noto Sans Devanagari')
                                                              && f.status === 'loaded')""")


def test_crawl_every_page_no_dead_link(page, served):
    """Visit every page once in the browser, from both home pages; check every link and anchor it shows."""
    base, out = served["base"], served["out"]
    todo = deque(["/hi/index.html", "/en/index.html", "/hi/search.html", "/en/search.html"])  # search: a form
    seen, checked, dead = set(todo), 0, []
    ids: dict[str, set[str]] = {}
    while todo:
        path = todo.popleft()
        response = page.goto(base + path)
        assert response and response.status == 200, path
        assert page.evaluate("document.documentElement.lang") in ("hi", "en"), path
        ids[path] = set(page.evaluate("() => [...document.querySelectorAll('[id]')].map(e => e.id)"))
        hrefs = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
        for href in hrefs:
            if not href.startswith(base):
                continue
            url, frag = urldefrag(href)
            target = urlsplit(url).path or "/"
            checked += 1
            if target.endswith("/"):
                target += "index.html"
            local = out / unquote(target).lstrip("/")
            if not local.is_file():
                dead.append(f"{path} -> {href}")
                continue
            if target.endswith(".html") and target not in seen and "/_static/" not in target:
                seen.add(target)
                todo.append(target)
            if frag:                          # checked once every page's ids are known
                ids.setdefault(f"#{target}#{frag}", set()).add(path)
    for key, sources in ids.items():
        if key.startswith("#"):
            _, target, frag = key.split("#", 2)
            if unquote(frag) not in ids.get(target, set()):
                dead.append(f"{sorted(sources)[0]} -> {target}#{frag} (no such id)")
    every = {"/" + p.relative_to(out).as_posix() for p in site_tool.pages(out)} - {"/index.html"}  # root: redirect
    print(f"crawled {len(seen)} pages in the browser, {checked} links checked")
    assert not dead, "dead links:\n" + "\n".join(dead[:20])
    assert seen == every, f"pages no link leads to: {sorted(every - seen)}"
