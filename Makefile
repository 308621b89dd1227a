# Quick start:  make run   (assistant on http://127.0.0.1:$${PORT:-8000}, sample corpus loaded)
#               make test  (set up and run the tests)
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
GUIDE_DATA_DIR ?= var/data
export GUIDE_DATA_DIR

.PHONY: setup run data test eval bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[api,test]"
	touch $@

setup: $(VENV)/.installed

data: setup
	$(PY) -m index load --replace data/sample/items.jsonl

run: data
	$(VENV)/bin/uvicorn api.main:create_app --factory --host 127.0.0.1 --port $(PORT)

test: setup
	$(PY) -m pytest -q

eval: setup
	$(PY) -m index.evaluate
	$(PY) -m index.evaluate --queries tests/dev/search_queries_holdout.jsonl

bench: setup
	$(PY) -m index.bench

clean:
	rm -rf $(VENV) var
