// course-links: the course's JupyterLab helper (plain JavaScript, no build step for the source itself).
//
// 1. A link to another notebook's anchor, such as an answer link `../../solutions/hi/10_conditional_vae.ipynb#q-2`,
//    opens that notebook and lands on the anchor at the FIRST click. JupyterLab itself (4.x) looks the anchor up
//    only among cells that are already rendered, and right after a notebook opens none is, so it opened at the top
//    (cf. jupyterlab/jupyterlab#11374). Here the anchor's cell is found in the notebook's model (its source holds
//    `id="q-2"`), scrolled to, and the anchor put at the top of the view once the cells above it stop moving. The
//    links themselves stay plain relative links, so GitHub, Colab and the website read them as before.
// 2. The tab of a course notebook says its language and whether it is a solution ("hi · हल · 10_….ipynb"): a
//    chapter and its solution, and the hi and en twins, share one file name. Only a CSS class is added to the tab;
//    the title's text is never changed (JupyterLab renames the file when a document's title label changes).
//
// Installed by `make lab` (a prebuilt copy, ../course-links/labextension, into .venv/share/jupyter/labextensions);
// rebuild after editing: see ../README.md.
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';

const COURSE_VIEW = /(?:^|\/)(notebooks|solutions)\/(hi|en)\/\d\d_[^/]*\.ipynb$/;
const PATCHED = Symbol('course-links');
const LANDING_MS = 15000; // give up after this long (a huge notebook, an anchor that never renders)
const STEADY_MS = 600; // the anchor counts as landed once it stayed at the top this long

function sleep(ms) {
  return new Promise(resolve => setTimeout(resolve, ms));
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Index of the first markdown cell whose source declares the anchor `id` (id="…" or name="…"), or -1. */
function anchorCell(notebook, id) {
  const cells = notebook.model && notebook.model.cells;
  if (!cells) {
    return -1;
  }
  const declares = new RegExp(`\\b(?:id|name)\\s*=\\s*["']${escapeRegExp(id)}["']`);
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type === 'markdown' && declares.test(cell.sharedModel.getSource())) {
      return i;
    }
  }
  return -1;
}

/** Scroll `panel` until the anchor `id` sits at the top of its view; false if no cell declares it. */
async function land(panel, id) {
  await panel.context.ready;
  const notebook = panel.content;
  const index = anchorCell(notebook, id);
  if (index < 0 || panel.isDisposed) {
    return false;
  }
  const cell = notebook.widgets[index];
  const selector = `[data-jupyter-id="${CSS.escape(id)}"], [id="${CSS.escape(id)}"]`;
  // The learner scrolling, typing or clicking ends the landing: never fight them.
  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  const events = ['wheel', 'keydown', 'mousedown', 'touchstart'];
  events.forEach(name => notebook.node.addEventListener(name, stop, { passive: true }));
  try {
    notebook.activeCellIndex = index;
    const deadline = Date.now() + LANDING_MS;
    let steadySince = 0;
    let lastTop = NaN;
    while (!stopped && !panel.isDisposed && Date.now() < deadline) {
      const anchor = cell.node.querySelector(selector);
      if (!anchor) {
        await notebook.scrollToCell(cell, 'start'); // renders the cell where the notebook is windowed
      } else {
        const before = anchor.getBoundingClientRect().top - notebook.node.getBoundingClientRect().top;
        if (Math.abs(before) > 1) {
          anchor.scrollIntoView({ block: 'start' });
        }
        const top = anchor.getBoundingClientRect().top - notebook.node.getBoundingClientRect().top;
        if (Math.abs(top - lastTop) <= 1 && Math.abs(before) <= 1) {
          steadySince = steadySince || Date.now();
          if (Date.now() - steadySince >= STEADY_MS) {
            break; // cells above it (markdown, MathJax, images) have finished changing height
          }
        } else {
          steadySince = 0;
        }
        lastTop = top;
      }
      await sleep(100);
    }
  } finally {
    events.forEach(name => notebook.node.removeEventListener(name, stop));
  }
  return true;
}

/** Make every NotebookPanel land on `#anchor` fragments (JupyterLab's own `#cell-id=…`/`#heading=…` stay its own). */
function patch(proto) {
  if (!proto || proto[PATCHED]) {
    return;
  }
  const original = proto.setFragment;
  proto.setFragment = function (fragment) {
    let id = (fragment || '').replace(/^#/, '');
    try {
      id = decodeURIComponent(id);
    } catch (err) {
      // keep it as written
    }
    if (!id || id.includes('=')) {
      return original.call(this, fragment);
    }
    void land(this, id).then(
      found => {
        if (!found) {
          original.call(this, fragment); // a heading's automatic id: JupyterLab's own lookup
        }
      },
      err => {
        console.warn('course-links: could not land on', fragment, err);
        original.call(this, fragment);
      }
    );
  };
  proto[PATCHED] = true;
}

/** Give a course view's tab a class that names its language and kind (chapter or solution). */
function labelTab(panel) {
  const match = COURSE_VIEW.exec(panel.context.path);
  if (!match) {
    return;
  }
  const kind = match[1] === 'solutions' ? 'solution' : 'chapter';
  const name = `course-tab course-tab-${match[2]}-${kind}`;
  if (!panel.title.className.includes(name)) {
    panel.title.className = `${panel.title.className} ${name}`.trim();
  }
}

const plugin = {
  id: 'course-links:plugin',
  description: 'Answer and solution links land on their anchor at the first click; course tabs name language and kind.',
  autoStart: true,
  requires: [INotebookTracker],
  activate: (app, tracker) => {
    patch(NotebookPanel.prototype);
    tracker.widgetAdded.connect((_, panel) => {
      patch(Object.getPrototypeOf(panel)); // the class JupyterLab really uses, if ever another copy
      labelTab(panel);
      panel.context.pathChanged.connect(() => labelTab(panel));
    });
    tracker.forEach(panel => labelTab(panel));
  }
};

export default plugin;
