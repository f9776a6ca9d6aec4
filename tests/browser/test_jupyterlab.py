"""The course as a learner meets it: `make lab`, a Hindi view, JupyterLab 4 in headless Chromium.

Run it alone with `make test-browser` (not part of `make test`). It copies the repository's views to a
temporary folder, starts JupyterLab there with the Makefile's own `make lab` (headless, on a free port,
with a token, autosave every few seconds), and checks what the unit tests and nbval cannot see:

* an untouched view stays unmodified: no dirty mark, and autosave does not rewrite the file;
* a view opened without running shows no stale widget text ("VBox(children=...", "epochs: 0%");
* after Run All, the environment check and the exercise verdicts use marks the installed fonts have,
  each beside a word (OK / FAIL, सही / Correct ...);
* moving a widget's slider redraws its picture;
* a solution link opens the solution notebook, which also stays unmodified.

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
    tracked = {rel: _fingerprint(work / rel) for rel in (VIEW, SOLUTION)}   # the course's own views
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
        yield {"base": base, "work": work / "my-course", "log": home / "lab.log", "copied": copied}
        for rel, before in tracked.items():      # whatever JupyterLab did, the tracked views are never its files
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


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-v"]))
