# Istok: `make run` serves the sample knowledge base; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench eval clean screenshots

install: $(STAMP) node_modules/axe-core/axe.min.js

$(STAMP): pyproject.toml client/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,adapters]'
	$(BIN)/python -m pip install --quiet -e ./client
	touch $(STAMP)

# axe-core for the browser accessibility tests, from the npm registry into node_modules (not committed).
node_modules/axe-core/axe.min.js:
	command -v npm >/dev/null && npm install --no-save --no-package-lock --no-audit --no-fund axe-core@4 \
	  || echo "npm not found: the accessibility tests will be skipped (CI=true fails them)" >&2

run: install
	$(BIN)/istok db upgrade
	$(BIN)/istok import content --publish --if-empty
	$(BIN)/istok keys demo
	$(BIN)/istok users demo
	@echo 'help center: /help/ · operator panel: /panel · admin: /admin · widget: /widget.js'
	$(BIN)/istok serve

test: install
	$(BIN)/ruff check kb renderers api tests bench contacts insights client adapters
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -n auto --dist loadfile  # a file's tests stay on one worker, with its servers

bench: install
	$(BIN)/python bench/import_bench.py
	$(BIN)/python bench/render_bench.py
	$(BIN)/python bench/answer_bench.py
	$(BIN)/python bench/http_bench.py
	$(BIN)/python bench/answer_path.py
	$(BIN)/python bench/pages_bench.py
	$(BIN)/python bench/contacts_bench.py
	$(BIN)/python bench/replicas_bench.py

# The answer engine on every data set in ../shared/eval, on content/questions.csv (tuned on) and on
# content/unseen.csv (written after the engine changed, never tuned on),
# with the semantic evidence off (the fallback) and on (the default); JSON per run in var/eval/.
EVAL_SETS := $(wildcard ../shared/eval/*/dev.csv)

eval: install
	mkdir -p var/eval
	@set -e; for csv in $(EVAL_SETS) content/questions.csv content/unseen.csv; do \
	  case $$csv in \
	    content/*) kbdir=content; name=$$(basename $$csv .csv);; \
	    *) kbdir=$$(dirname $$csv)/kb; name=$$(basename $$(dirname $$csv));; \
	  esac; \
	  for mode in no-semantic semantic; do \
	    printf '%s (%s): ' $$name $$mode; \
	    $(BIN)/istok eval --kb $$kbdir --questions $$csv --$$mode \
	      --out var/eval/$$name-$$mode.json; \
	  done; \
	done

# The README's screenshots: the browser tests save each face into docs/screenshots.
screenshots: install
	ISTOK_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q tests/pages -k browser

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
