# Quick start:  make run   (set up, load the sample corpus, train, serve the assistant on PORT, default 8000)
#               make test  (set up and run every test, Rasa training and story tests included)
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
RASA := $(VENV)/bin/rasa
PORT ?= 8000
GUIDE_DATA_DIR ?= var/data
export GUIDE_DATA_DIR
# TensorFlow and SQLAlchemy are chatty on start; keep the logs readable.
export TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1

RASA_DATA := nlu_data bot/rules.yml bot/stories.yml
RASA_ARGS := --config bot/config.yml --domain bot/domain.yml

.PHONY: setup run data model test test-unit test-bot eval bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# Rasa 3.6 declares Python < 3.11: its pinned dependencies first, then the two wheels without
# theirs (requirements/README-bot.md says why and what was verified).
$(VENV)/.installed: pyproject.toml requirements/bot.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check uv
	$(UV) pip install --quiet --python $(PY) -r requirements/bot.txt
	$(UV) pip install --quiet --python $(PY) --no-deps rasa==3.6.21 rasa-sdk==3.6.2
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	touch $@

setup: $(VENV)/.installed

# The authored sample (示例数据) plus the real portal export of ../shared when it is there (about
# 2,500 items): what people try is discrimination among thousands of items, not sixty.
PORTAL_EXPORT ?= $(wildcard ../shared/item-standards/portal-export/gd-portal-2021.jsonl)
data: setup
	$(PY) -m index load --replace data/sample/items.jsonl data/examples/zhongshan-sample.jsonl $(PORTAL_EXPORT)

# rasa train skips the work when config, domain and data are unchanged since the last model.
model: setup
	$(RASA) train $(RASA_ARGS) --data $(RASA_DATA) --out models --fixed-model-name guide

run: data model
	$(PY) -m api.launcher

test: test-unit test-bot

test-unit: setup
	$(PY) -m pytest -q

test-bot: data model
	$(RASA) data validate $(RASA_ARGS) --data $(RASA_DATA)
	$(PY) -m bot.check_stories
	$(PY) -m bot.check_conversations

# Quality, ours beside the baselines: development sets, then the held-out sets written blind.
# A deployer's own data: make eval EVAL_ARGS="--items my.jsonl --dialogues my-dialogues.jsonl"
eval: setup
	$(PY) -m bot.evaluate $(EVAL_ARGS)
	$(PY) -m bot.evaluate --queries tests/dev/search_queries_holdout.jsonl --dialogues tests/dev/dialogues_holdout.jsonl $(EVAL_ARGS)

# Speed: the index alone, then the whole stack through HTTP (writes bench/index.md, bench/results.md).
bench: setup model
	$(PY) -m index.bench
	$(PY) -m bot.bench

clean:
	rm -rf $(VENV) var models
