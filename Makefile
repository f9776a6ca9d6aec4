# The two commands of the course (README.md):
#   make lab    install everything and open the course in JupyterLab
#   make test   install everything and run every test (unit tests, view checks, nbval over every view)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# torch and torchvision are pinned as a pair that imports together and is tested here.
TORCH  := torch==2.14.1 torchvision==0.29.1
# The offline MNIST folder of the course's build machines, if present (COURSE_DATA wins if set).
export COURSE_DATA ?= $(wildcard $(abspath ../shared/data))

.PHONY: install lab test build check bench
install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

lab: install
	$(VENV)/bin/jupyter lab notebooks/

test: install
	COURSE_THREADS=1 $(PY) -m pytest -n 2 --dist loadfile --nbval --nbval-current-env \
	  --nbval-sanitize-with nbval_sanitize.cfg --nbval-cell-timeout 600 \
	  tests notebooks/hi notebooks/en solutions/hi solutions/en

build: install
	$(PY) -m course_utils.tools.build

check: install
	$(PY) -m course_utils.tools.build --check

bench: install
	$(PY) benchmarks/bench_training.py
