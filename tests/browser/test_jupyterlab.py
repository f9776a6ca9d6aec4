"""The course as a learner meets it: `make lab`, a Hindi view, JupyterLab 4 in headless Chromium.

Run it alone with `make test-browser` (not part of `make test`). It copies the repository's views to a
temporary folder, starts JupyterLab there with the Makefile's own `make lab` (headless, on a free port,
with a token, autosave every few seconds), and checks what the unit tests and nbval cannot see:

* an untouched view stays unmodified: no dirty mark, and autosave does not rewrite the file;
* a view opened without running shows no stale widget text ("VBox(children=...", "epochs: 0%");
* after Run All, the environment check and the exercise verdicts use marks the installed fonts have,
  each beside a word (OK / FAIL, सही / Correct ...);
* moving a widget's slider redraws its picture;
* a solution link opens the solution notebook, which also stays unmodified;
* the first click on an answer, exercise-solution or back link lands on its anchor, in view, even when the
  target notebook was not open yet (jupyterlab/course-links), in both languages;
* the tabs of a chapter, its solution and their twins in the other language read differently;
* a Hindi view shows no heading without Hindi, and no opened view shows a raw repr such as `<... at 0x...>`;
* a long run autosaves only the learner's working copy, never a tracked view, and an update
  (`python -m course_utils.tools.workspace`, what `make update` runs after `git pull`) keeps the answers
  the learner typed in JupyterLab, writing the course's new version beside them.

Needs Debian's chromium and fonts-noto-core and the `browser` extra (Playwright, driving
/usr/bin/chromium; no browser download); `make test-browser` installs them when missing.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

if not os.environ.get("COURSE_BROWSER_TEST"):
    pytest.skip("the browser test runs with `make test-browser`", allow_module_level=True)

from playwright.sync_api import Page, sync_playwright  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEW = "notebooks/hi/00_start_here.ipynb"
SOLUTION = "solutions/hi/00_start_here.ipynb"
AUTOSAVE_S = 2          # JupyterLab's autosave interval for the test (default 120 s)
CHAPTER_HI, ANSWERS_HI = "notebooks/hi/10_conditional_vae.ipynb", "solutions/hi/10_conditional_vae.ipynb"
CHAPTER_EN, ANSWERS_EN = "notebooks/en/10_conditional_vae.ipynb", "solutions/en/10_conditional_vae.ipynb"
LANDED_PX = 150         # an anchor "landed" when it sits this close below the top of the notebook's view
UPSTREAM_EDITS = (VIEW, SOLUTION)   # the views the update test changes as a `git pull` of a new version would
TOKEN = "course-browser-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fingerprint(path: Path) -> tuple[int, str]:
    return path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()


def _write_settings(folder: Path) -> None:
    """User settings of the test's JupyterLab: short autosave, no news or update checks."""
    settings = {"@jupyterlab/docmanager-extension/plugin": {"autosave": True, "autosaveInterval": AUTOSAVE_S},
                "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False}}
    for plugin, values in settings.items():
        path = folder / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """`make lab` in a copy of the repository's views (the committed files are never touched)."""
    work = tmp_path_factory.mktemp("course")
    for tree in ("notebooks", "solutions", "jupyterlab"):
        shutil.copytree(ROOT / tree, work / tree, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy2(ROOT / name, work / name)
    from course_utils.tools.workspace import sync
    sync(work / "my-course", source=work)          # `make lab` serves this working copy (it syncs it again first)
    tracked = {p.relative_to(work).as_posix(): _fingerprint(p)                # the course's own views, every one
               for tree in ("notebooks", "solutions") for p in sorted((work / tree).glob("*/*.ipynb"))}
    copied = {rel: _fingerprint(work / "my-course" / rel) for rel in (VIEW, SOLUTION)}   # before JupyterLab can touch them
    home = tmp_path_factory.mktemp("jupyter")
    _write_settings(home / "settings")
    venv = ROOT / ".venv"
    port = _free_port()
    lab_args = [f"--port={port}", "--ServerApp.ip=127.0.0.1", "--no-browser",
                f"--IdentityProvider.token={TOKEN}", "--LabApp.expose_app_in_browser=True"]
    if os.geteuid() == 0:
        lab_args.append("--allow-root")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"), "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
           "COURSE_THREADS": os.environ.get("COURSE_THREADS", "1")}
    if not env.get("COURSE_DATA") and (ROOT.parent / "shared" / "data").is_dir():   # as the Makefile does
        env["COURSE_DATA"] = str(ROOT.parent / "shared" / "data")
    # The Makefile's own `lab` target, with the installed .venv (not reinstalled into the copy).
    cmd = ["make", "-s", "-C", str(work), "lab", f"VENV={venv}", "-o", f"{venv}/.installed",
           f"LAB_ARGS={' '.join(lab_args)}"]
    log = open(home / "lab.log", "w")
    server = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab did not start; its log:\n{(home / 'lab.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield {"base": base, "work": work / "my-course", "course": work, "log": home / "lab.log", "copied": copied,
               "tracked": tracked}
        for rel, before in tracked.items():      # whatever JupyterLab did, the tracked views are never its files
            if rel not in UPSTREAM_EDITS:        # (the update test plays "git pull" on these two itself)
                assert _fingerprint(work / rel) == before, f"JupyterLab wrote the tracked view {rel}"
    finally:
        # Shut the server (and its kernels) down through its API; then end the group we started, if still there.
        try:
            urllib.request.urlopen(urllib.request.Request(f"{base}/api/shutdown?token={TOKEN}", method="POST"),
                                   timeout=10)
            server.wait(timeout=30)
        except Exception:
            pass
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def page(lab):
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{lab['base']}/lab/tree/{VIEW}?token={TOKEN}")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                               " && window.jupyterapp.shell.currentWidget.context", timeout=120_000)
        _wait_kernel_idle(page)
        yield page
        browser.close()


# ----------------------------------------------------------------------------------------- helpers
def _current(page: Page, expr: str):
    """Evaluate `expr` with `nb` bound to the current notebook panel."""
    return page.evaluate(f"() => {{ const nb = window.jupyterapp.shell.currentWidget; return {expr}; }}")


def _wait_kernel_idle(page: Page, timeout_s: float = 120) -> None:
    page.wait_for_function(
        "() => { const nb = window.jupyterapp.shell.currentWidget;"
        " const k = nb && nb.sessionContext && nb.sessionContext.session && nb.sessionContext.session.kernel;"
        " return nb.context.isReady && k && k.status === 'idle'; }", timeout=timeout_s * 1000)


def _outputs(page: Page) -> list[dict]:
    """[{source, outputs}] of the current notebook's code cells, from its model."""
    return _current(page, "Array.from(nb.content.model.cells).filter(c => c.type === 'code')"
                          ".map(c => ({source: c.sharedModel.getSource(), count: c.executionCount,"
                          " outputs: c.outputs.toJSON()}))")


def _plain_text(outputs: list[dict]) -> str:
    parts = []
    for out in outputs:
        text = out.get("text") or out.get("data", {}).get("text/plain", "")
        parts.append("".join(text) if isinstance(text, list) else text)
    return "".join(parts)


def _assert_unmodified(page: Page, lab, rel: str) -> None:
    """No dirty mark on the open view, and autosave did not rewrite it, past several autosave intervals."""
    path = lab["work"] / rel
    time.sleep(4 * AUTOSAVE_S + 2)
    assert _current(page, "nb.context.path") == rel
    dirty = _current(page, "nb.context.model.dirty")
    tab_dirty = page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current.jp-mod-dirty").count()
    assert not dirty and not tab_dirty, (
        f"{rel} is marked modified just by opening it; the stored metadata differs from what JupyterLab writes: "
        f"{_current(page, 'JSON.stringify(nb.context.model.toJSON().metadata.kernelspec)')}")
    assert _fingerprint(path) == lab["copied"][rel], f"autosave rewrote {rel} although nothing was edited"


def _uncovered_chars(text: str) -> set[str]:
    """Characters of `text` that no installed font has (they would render as empty boxes)."""
    missing = set()
    for ch in sorted(set(text)):
        if ord(ch) < 128 or 0xFE00 <= ord(ch) <= 0xFE0F or ch in "\u200b\u200c\u200d":
            continue
        found = subprocess.run(["fc-list", f":charset={ord(ch):x}", "family"], capture_output=True, text=True)
        if not found.stdout.strip():
            missing.add(ch)
    return missing


# ------------------------------------------------------------------------------------------- tests
def test_opened_view_stays_unmodified(page, lab):
    _assert_unmodified(page, lab, VIEW)


def test_stored_outputs_show_no_stale_widget_text(page):
    shown = page.evaluate("() => Array.from(document.querySelectorAll('.jp-Notebook .jp-OutputArea-output'))"
                          ".map(o => o.textContent).join('\\n')")
    stored = _plain_text([o for c in _outputs(page) for o in c["outputs"]])
    for text in (shown, stored):
        assert "VBox(children" not in text and "IntSlider(" not in text, "a widget's raw repr is shown"
        assert not re.search(r"epochs:\s+\d+%", text), "a finished progress bar's stale text is shown"


def test_run_all_then_marks_have_words_and_fonts(page):
    ok = page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    assert ok is not False, "a cell failed in Run All"
    _wait_kernel_idle(page, timeout_s=600)
    cells = _outputs(page)
    assert all(c["count"] for c in cells if c["source"].strip()), "Run All left cells unexecuted"
    envcheck = next(_plain_text(c["outputs"]) for c in cells if "report(" in c["source"])
    lines = [line for line in envcheck.splitlines() if line.strip() and not line.startswith(" ")]
    assert lines and all(re.match(r"\S+ (OK|FAIL)\b", line) for line in lines), envcheck
    assert "8,000 train / 2,000 test" in envcheck or "train 0 " not in envcheck, envcheck
    verdicts = [_plain_text(c["outputs"]) for c in cells if ".check(" in c["source"]]
    assert verdicts and all(re.search(r"Correct|Not yet|Not attempted", v) for v in verdicts), verdicts
    # every mark the course can print, also those this run does not show (a correct or wrong answer, a FAIL line)
    from course_utils.envcheck import FAIL_MARK, OK_MARK
    from course_utils.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED, Outcome
    marks = [OK_MARK, FAIL_MARK] + [Outcome(s, "x", "x").message() for s in (CORRECT, INCORRECT, NOT_ATTEMPTED)]
    missing = _uncovered_chars(envcheck + "".join(verdicts + marks))
    assert not missing, f"no installed font has {sorted(missing)}: they show as empty boxes"
    assert not re.search(r"epochs:\s+\d+%", _plain_text([o for c in cells for o in c["outputs"]]))


def test_slider_redraws_the_picture(page):
    cells = _current(page, "Array.from(nb.content.model.cells).map(c => c.sharedModel.getSource())")
    index = next(i for i, c in enumerate(cells) if "image_explorer(" in c)
    _current(page, f"(nb.content.activeCellIndex = {index}, nb.content.scrollToItem({index}, 'center'))")
    cell = page.locator(".jp-Notebook .jp-Cell.jp-mod-active")
    handle = cell.locator(".widget-slider .noUi-handle").first
    handle.wait_for(timeout=30_000)
    image = cell.locator(".jp-OutputArea-output img").last
    before = image.get_attribute("src")
    handle.focus()
    for _ in range(3):
        handle.press("ArrowRight")
    page.wait_for_function(
        "([sel, src]) => { const imgs = document.querySelectorAll(sel);"
        " return imgs.length && imgs[imgs.length - 1].getAttribute('src') !== src; }",
        arg=[".jp-Notebook .jp-Cell.jp-mod-active .jp-OutputArea-output img", before], timeout=60_000)
    assert image.get_attribute("src") != before


def test_solution_link_opens_the_solution_unmodified(page, lab):
    cells = _current(page, "Array.from(nb.content.model.cells).map(c => c.sharedModel.getSource())")
    target = "../../solutions/hi/00_start_here.ipynb"
    index = next(i for i, c in enumerate(cells) if target in c)
    _current(page, f"(nb.content.activeCellIndex = {index}, nb.content.scrollToItem({index}, 'center'))")
    link = page.locator(".jp-Notebook .jp-Cell.jp-mod-active a[href*='solutions/hi/00_start_here.ipynb']").first
    link.wait_for(timeout=30_000)
    link.click()
    try:
        page.wait_for_function(
            f"() => window.jupyterapp.shell.currentWidget.context.path === '{SOLUTION}'", timeout=60_000)
    except PlaywrightTimeout:
        pytest.fail(f"clicking the solution link did not open {SOLUTION} (still on "
                    f"{_current(page, 'nb.context.path')}): does `make lab` serve the repository root?")
    _wait_kernel_idle(page)
    _assert_unmodified(page, lab, SOLUTION)



# ------------------------------------------------------------------ links that land, tabs, headings, reprs, updates
def _activate(page: Page, rel: str) -> None:
    """Open `rel` (or bring its tab to the front) and wait until its notebook is ready."""
    page.evaluate("p => window.jupyterapp.commands.execute('docmanager:open', {path: p}).then(() => true)", rel)
    page.wait_for_function("p => { const nb = window.jupyterapp.shell.currentWidget;"
                           " return nb && nb.context && nb.context.path === p && nb.context.isReady; }",
                           arg=rel, timeout=60_000)


def _is_open(page: Page, rel: str) -> bool:
    return page.evaluate("p => Array.from(window.jupyterapp.shell.widgets('main'))"
                         ".some(w => w.context && w.context.path === p)", rel)


def _close(page: Page, rel: str) -> None:
    page.evaluate("p => { for (const w of Array.from(window.jupyterapp.shell.widgets('main')))"
                  " if (w.context && w.context.path === p) w.close(); }", rel)
    page.wait_for_function("p => !Array.from(window.jupyterapp.shell.widgets('main'))"
                           ".some(w => w.context && w.context.path === p)", arg=rel, timeout=30_000)


def _click_link(page: Page, target: str) -> None:
    """Scroll the current notebook to the cell that links to `target` (path#anchor) and click the link."""
    cells = _current(page, "Array.from(nb.content.model.cells).map(c => c.sharedModel.getSource())")
    path, anchor = target.split("#")
    index = next(i for i, c in enumerate(cells) if re.search(re.escape(path.split("/")[-1]) + "#" + anchor + r"\)", c))
    _current(page, f"(nb.content.activeCellIndex = {index}, nb.content.scrollToItem({index}, 'center'))")
    widget = _current(page, "nb.id")
    # JupyterLab rewrites a relative href to /files/<path>?_xsrf=...#anchor
    link = page.locator(f"[id='{widget}'] .jp-Cell.jp-mod-active "
                        f"a[href*='{path.split('/')[-1]}'][href$='#{anchor}']").first
    link.wait_for(timeout=30_000)
    link.click()


def _anchor_top(page: Page, anchor: str):
    """Where the anchor sits in the current notebook's view: px below its top, and the view's height (None: not rendered)."""
    return _current(page, f"(() => {{ const el = nb.content.node.querySelector('[data-jupyter-id=\"{anchor}\"], "
                          f"[id=\"{anchor}\"]'); if (!el) return null; const view = nb.content.node;"
                          " return [el.getBoundingClientRect().top - view.getBoundingClientRect().top, view.clientHeight];"
                          " })()")


def _assert_lands(page: Page, rel: str, anchor: str, timeout_s: float = 20) -> float:
    """After a click: `rel` opens and its anchor comes to the top of the view, and stays there; return the seconds."""
    start = time.monotonic()
    page.wait_for_function("p => { const nb = window.jupyterapp.shell.currentWidget;"
                           " return nb && nb.context && nb.context.path === p; }", arg=rel, timeout=60_000)
    seen = None
    while time.monotonic() - start < timeout_s:
        seen = _anchor_top(page, anchor)
        if seen and -2 <= seen[0] <= LANDED_PX:
            break
        time.sleep(0.2)
    landed = time.monotonic() - start
    assert seen and -2 <= seen[0] <= LANDED_PX, (
        f"the first click opened {rel} but not at #{anchor}: the anchor is "
        f"{'not rendered' if not seen else f'{seen[0]:.0f} px below the top of a {seen[1]} px view'} after {timeout_s} s")
    time.sleep(2)                                     # cells above it render and typeset: it must stay in view
    again = _anchor_top(page, anchor)
    assert again and -2 <= again[0] <= LANDED_PX, f"#{anchor} in {rel} drifted out of view: {again}"
    return landed


def test_first_click_on_an_answer_link_lands_on_the_question(page):
    assert not _is_open(page, ANSWERS_HI)
    _activate(page, CHAPTER_HI)
    _click_link(page, "../../solutions/hi/10_conditional_vae.ipynb#q-3")
    _assert_lands(page, ANSWERS_HI, "q-3")


def test_first_click_on_a_back_link_lands_with_the_chapter_closed(page):
    _close(page, CHAPTER_HI)
    _activate(page, ANSWERS_HI)
    _click_link(page, "../../notebooks/hi/10_conditional_vae.ipynb#q-3")
    _assert_lands(page, CHAPTER_HI, "q-3")       # the chapter's practice questions: ~10,000 px below its top


def test_first_click_on_an_exercise_solution_link_lands_in_english(page):
    assert not _is_open(page, ANSWERS_EN)
    _activate(page, CHAPTER_EN)
    _click_link(page, "../../solutions/en/10_conditional_vae.ipynb#ex-2")
    _assert_lands(page, ANSWERS_EN, "ex-2")


def test_tabs_tell_chapter_solution_and_language_apart(page):
    for rel in (CHAPTER_HI, ANSWERS_HI, CHAPTER_EN, ANSWERS_EN):
        _activate(page, rel)
    page.wait_for_function("() => Array.from(document.querySelectorAll('#jp-main-dock-panel .lm-TabBar-tab'))"
                           ".every(t => (t.title || '').includes('Path:'))", timeout=30_000)   # captions name paths
    tabs = page.evaluate(
        "() => Array.from(document.querySelectorAll('#jp-main-dock-panel .lm-TabBar-tab')).map(t => {"
        " const label = t.querySelector('.lm-TabBar-tabLabel');"
        " const before = getComputedStyle(label, '::before').content;"
        " return [t.title || '', (before && before !== 'none' && before !== 'normal' ? JSON.parse(before) + ' ' : '')"
        " + label.textContent]; })")
    shown = {title.split("\n")[0]: text for title, text in tabs}
    named = {rel: next((text for title, text in tabs if rel.split("/")[-1] in text and rel in title), None)
             for rel in (CHAPTER_HI, ANSWERS_HI, CHAPTER_EN, ANSWERS_EN)}
    assert all(named.values()), f"a tab was not found by its path: {tabs}"
    assert len(set(named.values())) == 4, f"two of the four tabs read the same: {named}"
    assert "हल" in named[ANSWERS_HI] and "solution" in named[ANSWERS_EN], named
    assert named[CHAPTER_HI].startswith("hi") and named[CHAPTER_EN].startswith("en"), (named, shown)


def _rendered_headings(page: Page) -> list[str]:
    """Every heading of the current notebook's markdown cells, as rendered (scrolled through, cell by cell)."""
    n = _current(page, "nb.content.widgets.length")
    found: dict[str, None] = {}
    for i in range(n):
        if _current(page, f"nb.content.widgets[{i}].model.type") != "markdown":
            continue
        _current(page, f"nb.content.scrollToItem({i}, 'start')")
        page.wait_for_function(
            f"() => {{ const c = window.jupyterapp.shell.currentWidget.content.widgets[{i}];"
            " return c.rendered === false || c.node.querySelector('.jp-RenderedMarkdown') !== null; }",
            timeout=15_000)
        for text in _current(page, f"Array.from(nb.content.widgets[{i}].node.querySelectorAll("
                                   "'.jp-RenderedMarkdown h1, .jp-RenderedMarkdown h2, .jp-RenderedMarkdown h3,"
                                   " .jp-RenderedMarkdown h4, .jp-RenderedMarkdown h5, .jp-RenderedMarkdown h6'))"
                                   ".map(h => h.textContent.replace('¶', '').trim())"):
            found[text] = None
    return list(found)


def test_hindi_views_show_no_heading_without_hindi(page):
    for rel in (CHAPTER_HI, ANSWERS_HI):
        _activate(page, rel)
        headings = _rendered_headings(page)
        assert len(headings) >= 5, headings
        english = [h for h in headings if not re.search("[\u0900-\u097f]", h)]
        assert not english, f"{rel} shows headings without Hindi: {english}"


def test_opened_views_show_no_raw_repr(page):
    sys.path.insert(0, str(ROOT / "tests"))
    from test_stored_outputs import raw_reprs
    for rel in (CHAPTER_HI, ANSWERS_HI, CHAPTER_EN, ANSWERS_EN):
        _activate(page, rel)
        nb = json.loads(_current(page, "JSON.stringify(nb.context.model.toJSON())"))
        assert not raw_reprs(nb), f"{rel} shows {raw_reprs(nb)}"


def test_a_long_run_and_an_update_keep_the_learners_answers(page, lab):
    work, course = lab["work"], lab["course"]
    # The run of test_run_all_... lasted many autosave intervals: autosave wrote the working copy only.
    assert _fingerprint(work / VIEW) != lab["copied"][VIEW], "autosave never wrote the working copy during the run"
    assert _fingerprint(course / VIEW) == lab["tracked"][VIEW], "a run changed the tracked view"
    # The learner answers an exercise in JupyterLab and saves.
    _activate(page, VIEW)
    cells = _current(page, "Array.from(nb.content.model.cells).map(c => c.sharedModel.getSource())")
    index = next(i for i, c in enumerate(cells) if re.search(r"^\s+\.\.\.\s*$", c, re.M))   # the exercise stub
    mark = "# my answer, typed in JupyterLab"
    _current(page, f"nb.content.model.cells.get({index}).sharedModel.setSource({json.dumps(mark)} + '\\n' + "
                   f"nb.content.model.cells.get({index}).sharedModel.getSource())")
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=30_000)
    assert mark in (work / VIEW).read_text(encoding="utf-8")
    # `git pull` brings a new version of the chapter and of its (never edited) solution; then the sync of `make update`.
    for rel in UPSTREAM_EDITS:
        nb = json.loads((course / rel).read_text(encoding="utf-8"))
        nb["cells"].append({"cell_type": "markdown", "id": "course-update", "metadata": {"tags": ["lang-hi"]},
                            "source": "नया हिस्सा / a new section"})
        (course / rel).write_text(json.dumps(nb, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    solution_before = _fingerprint(work / SOLUTION)
    assert solution_before == lab["copied"][SOLUTION], "the solution was only opened, never saved"
    sync = subprocess.run([sys.executable, "-m", "course_utils.tools.workspace", "--from", str(course),
                           "--into", str(work)], capture_output=True, text=True, timeout=120)
    assert sync.returncode == 0, sync.stderr
    assert f"✎ {VIEW}: yours is kept" in sync.stdout, sync.stdout
    assert mark in (work / VIEW).read_text(encoding="utf-8"), "the update overwrote the learner's answer"
    beside = work / VIEW.replace(".ipynb", ".updated.ipynb")
    assert "a new section" in beside.read_text(encoding="utf-8") and mark not in beside.read_text(encoding="utf-8")
    assert "a new section" in (work / SOLUTION).read_text(encoding="utf-8"), "an untouched view takes the update"
    # JupyterLab, reading the file again, still shows the answer.
    _current(page, "nb.context.revert()")
    page.wait_for_function(f"() => window.jupyterapp.shell.currentWidget.content.model.cells.get({index})"
                           f".sharedModel.getSource().startsWith({json.dumps(mark)})", timeout=30_000)

if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-v"]))
