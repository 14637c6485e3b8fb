# Istok: `make run` serves the sample knowledge base; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Python keeps compiled modules (and pytest its rewritten test modules) in __pycache__, even where the
# environment asks it not to: the tests start a hundred Python processes, each of which would compile
# every module of ours again, and each test worker would rewrite every test file again (twice the
# collection time).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install run test test-faults lint bench eval clean screenshots messages

install: $(STAMP) $(NPM_STAMP) api/pages/static/editor.bundle.js

$(STAMP): pyproject.toml client/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,adapters]'
	$(BIN)/python -m pip install --quiet -e ./client
	touch $(STAMP)

# Front-end packages from the npm registry into node_modules (not committed), in one install, since npm
# removes from node_modules whatever its command line does not name: axe-core for the accessibility
# tests, oidc-provider for the OpenID provider the sign-in tests run, CodeMirror 6 and esbuild for the
# editor. The stamp is named by the list, so changing the list installs again.
NPM_PACKAGES := axe-core@4 oidc-provider@9 codemirror@6 @codemirror/lang-markdown@6 @codemirror/language@6 esbuild@0.28
NPM_STAMP := node_modules/.istok-$(shell echo '$(NPM_PACKAGES)' | cksum | cut -d' ' -f1)
$(NPM_STAMP):
	command -v npm >/dev/null && npm install --no-save --no-package-lock --no-audit --no-fund $(NPM_PACKAGES) \
	  && touch $@ \
	  || echo "npm not found: the accessibility and sign-in tests will be skipped (CI=true fails them), the editor is the plain textarea" >&2

# The editor's CodeMirror 6, bundled by esbuild into one static file (built, not committed). Without
# it the editor is the plain textarea.
api/pages/static/editor.bundle.js: api/pages/editor/editor.src.js $(NPM_STAMP)
	test -x node_modules/.bin/esbuild \
	  && node_modules/.bin/esbuild $< --bundle --minify --format=iife --target=es2020 --outfile=$@ \
	  || echo "esbuild failed: the editor is the plain textarea" >&2

run: install
	$(BIN)/istok db upgrade
	$(BIN)/istok import content --publish --if-empty
	$(BIN)/istok keys demo
	$(BIN)/istok users demo
	@echo 'help center: /help/ · operator panel: /panel · admin: /admin · widget: /widget.js'
	$(BIN)/istok serve

# One test worker more than cores: a third of a worker's time is spent waiting for servers and browsers.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))

test: install
	$(BIN)/ruff check kb renderers api tests bench contacts insights client adapters
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile --ignore=tests/faults  # a file's tests stay on one worker, with its servers

# Faults (tests/faults): PostgreSQL restarted under load, a replica killed with -9, processes killed
# mid-write, the index lock held, a full disk, jobs
# across three processes, migrations racing. One at a time: each starts servers and stops databases.
test-faults: install
	$(BIN)/python -m pytest -q tests/faults

bench: install
	$(BIN)/python bench/import_bench.py
	$(BIN)/python bench/render_bench.py
	$(BIN)/python bench/growth_bench.py  # answer_bench at 1k/10k/50k articles, contacts_bench at 1M/10M
	$(BIN)/python bench/http_bench.py
	$(BIN)/python bench/memory_bench.py
	$(BIN)/python bench/answer_path.py
	$(BIN)/python bench/pages_bench.py
	$(BIN)/python bench/replicas_bench.py
	$(BIN)/python bench/insights_bench.py

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

# The faces' words into the gettext catalogs (babel.cfg says where they are): new msgids are added
# empty, gone ones marked obsolete; translate them in api/pages/locale/*/LC_MESSAGES/messages.po.
# The pages read the .po files themselves (api/pages/i18n.py): nothing is compiled.
messages: install
	$(BIN)/pybabel extract --mapping-file babel.cfg --no-location --sort-output --no-wrap --omit-header \
	  --add-comments=Translators: -o var/messages.pot .
	$(BIN)/pybabel update --input-file var/messages.pot --domain messages --output-dir api/pages/locale \
	  --no-fuzzy-matching --ignore-obsolete --no-wrap

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
	find . -name __pycache__ -not -path "./node_modules/*" -prune -exec rm -rf {} +
