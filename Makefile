# The two commands of the course (README.md):
#   make lab    install everything and open the course in JupyterLab
#   make test   install everything and run every test (unit tests, view checks, nbval over every view)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# torch and torchvision are pinned as a pair that imports together and is tested here.
TORCH  := torch==2.14.1 torchvision==0.29.1
# CPU=1 installs PyTorch's CPU-only wheels from its own index (a few hundred MB instead of ~2.8 GB of
# CUDA wheels): `make lab CPU=1`. The default stays PyPI's build, the route CI can reach.
CPU_INDEX := https://download.pytorch.org/whl/cpu
TORCH_FROM := $(if $(CPU),--index-url $(CPU_INDEX),)
# pytest over every view and unit test; the slowest notebooks are scheduled first (see conftest.py).
PYTEST := COURSE_THREADS=1 $(PY) -m pytest -n 2 --dist loadfile --no-loadscope-reorder --nbval --nbval-current-env \
	  --nbval-sanitize-with nbval_sanitize.cfg --nbval-cell-timeout 600 --ignore=tests/browser
# The offline MNIST folder of the course's build machines, if present (COURSE_DATA wins if set).
export COURSE_DATA ?= $(wildcard $(abspath ../shared/data))

.PHONY: install lab update test-browser test test-quick split-seeds fake-online build check bench instructors site
install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet $(TORCH_FROM) $(TORCH)
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

# JupyterLab serves the learner's working copy my-course/ (git-ignored; course_utils/tools/workspace.py): autosave and
# answers change only it, so `make update` (git pull + sync) never conflicts; a changed chapter the learner worked in
# is kept and the new version is written beside it. jupyterlab/overrides.json shuts a kernel down when its notebook
# closes and turns off the news pop-up. The copy keeps the repository's layout, so ../../solutions/... links resolve.
# jupyterlab/course-links (prebuilt, no node needed) makes an answer link land on its question at the first click and
# names each tab's language and kind ("hi · हल · 10_….ipynb"); see jupyterlab/README.md.
# LAB_ARGS adds options, e.g. `make lab LAB_ARGS=--no-browser` (the browser test passes its port and token).
LAB_DIR ?= my-course
LAB_EXT := $(VENV)/share/jupyter/labextensions/course-links
lab: install
	$(PY) -m course_utils.tools.workspace --into $(LAB_DIR)
	@mkdir -p $(VENV)/share/jupyter/lab/settings && cp jupyterlab/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	@rm -rf $(LAB_EXT).tmp && cp -r jupyterlab/course-links/labextension $(LAB_EXT).tmp && rm -rf $(LAB_EXT) && mv $(LAB_EXT).tmp $(LAB_EXT)
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=$(LAB_DIR) --ContentsManager.preferred_dir=notebooks $(LAB_ARGS)

# Take the course's new chapters without losing your answers: pull, reinstall if needed, sync my-course/.
update:
	git pull --ff-only
	$(MAKE) install
	$(PY) -m course_utils.tools.workspace --into $(LAB_DIR)

# Not part of `make test`: drive JupyterLab in headless Chromium the way a learner uses the course
# (tests/browser/). Installs Debian's chromium and fonts-noto-core when missing, and Playwright from PyPI.
test-browser: install
	@command -v chromium >/dev/null && [ -d /usr/share/fonts/truetype/noto ] || { \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq chromium fonts-noto-core; }
	@$(PY) -c "import playwright" 2>/dev/null || $(PY) -m pip install --quiet -e ".[browser]"
	@start=$$(date +%s); \
	COURSE_BROWSER_TEST=1 $(PY) -m pytest -p no:cacheprovider -v tests/browser; rc=$$?; \
	echo "make test-browser took $$(( $$(date +%s) - start )) s (exit $$rc)"; exit $$rc

test: install
	@start=$$(date +%s); \
	$(PYTEST) tests notebooks/hi notebooks/en solutions/hi solutions/en; rc=$$?; \
	echo "make test took $$(( $$(date +%s) - start )) s (exit $$rc)"; exit $$rc

# Day-to-day: unit tests (including the cell-by-cell proof that each Hindi view's code and outputs
# equal its English twin's) and nbval over the English views only.
test-quick: install
	@start=$$(date +%s); \
	$(PYTEST) tests notebooks/en solutions/en; rc=$$?; \
	echo "make test-quick took $$(( $$(date +%s) - start )) s (exit $$rc)"; exit $$rc

# Re-run every chapter and solution with other draws of the data (not part of `make test`).
split-seeds: install
	$(PY) -m pytest -p no:cacheprovider checks/test_split_seeds.py -v

# Fake a learner's online machine (MNIST's train file beside the test file) and re-execute every notebook
# that uses the zoo on it (not part of `make test`; its data check is, in tests/test_data.py).
fake-online: install
	$(PY) -m course_utils.tools.fake_online --run

# The course's website from the committed views, both languages, into _site/ (not committed; warnings are
# errors, every link is checked): open _site/index.html, or publish the folder on any static host.
site: install
	@start=$$(date +%s); \
	$(PY) -m course_utils.tools.site --out _site; rc=$$?; \
	echo "make site took $$(( $$(date +%s) - start )) s (exit $$rc)"; exit $$rc

build: install
	$(PY) -m course_utils.tools.build

check: install
	$(PY) -m course_utils.tools.build --check

# Rewrite the generated chapter and exercise tables of INSTRUCTORS.md and INSTRUCTORS.hi.md (a test checks them).
instructors: install
	$(PY) -m course_utils.tools.instructors

bench: install
	$(PY) benchmarks/bench_training.py
