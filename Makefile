# Two commands for a fresh machine with Python 3.11 and make:
#   make run   - set up, migrate, load demo data once, serve GraphiQL on http://127.0.0.1:8000/graphql
#   make test  - set up and run the tests (SQLite always; PostgreSQL+Redis when reachable, required under CI=true)

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
OCR_STAMP = $(VENV)/.ocr-checked
# OCR of scanned files (files/ocr.py): Tesseract with Spanish, and poppler's pdftoppm for scanned PDFs
OCR_PACKAGES = tesseract-ocr tesseract-ocr-spa poppler-utils

.PHONY: run test setup ocr schema bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "MCS needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

# Best effort, once (the stamp): install the OCR packages with apt-get when they are missing.
# Never fails the build; without them OCR is reported unavailable by /health.
# `rm $(OCR_STAMP)` (or `make ocr`) checks again.
$(OCR_STAMP): | $(BIN)/python
	@missing=""; \
	if ! command -v tesseract >/dev/null 2>&1 || ! tesseract --list-langs 2>&1 | grep -qx spa; then \
	  missing="tesseract-ocr tesseract-ocr-spa"; fi; \
	command -v pdftoppm >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	if [ -z "$$missing" ]; then \
	  echo "OCR: tesseract (spa) and pdftoppm are installed"; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
	  echo "OCR: no apt-get here; install $(OCR_PACKAGES) yourself. Until then OCR of scanned files is unavailable (see /health)"; \
	else \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; \
	  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	  else sudo=none; fi; \
	  if [ "$$sudo" = none ]; then \
	    echo "OCR: not root and no passwordless sudo; run: sudo apt-get install $(OCR_PACKAGES). Until then OCR of scanned files is unavailable (see /health)"; \
	  else \
	    echo "OCR: installing $(OCR_PACKAGES) with apt-get (log: $(VENV)/ocr-apt.log)"; \
	    apt="$$sudo env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=120"; \
	    if { $$apt install --no-install-recommends $(OCR_PACKAGES) \
	         || { $$apt update && $$apt install --no-install-recommends $(OCR_PACKAGES); }; } >$(VENV)/ocr-apt.log 2>&1; then \
	      echo "OCR: installed $(OCR_PACKAGES)"; \
	    else \
	      echo "OCR: apt-get install $(OCR_PACKAGES) failed (see $(VENV)/ocr-apt.log); OCR of scanned files will be unavailable (see /health). Retry with: make ocr"; \
	    fi; \
	  fi; \
	fi; \
	touch $@

ocr:
	@rm -f $(OCR_STAMP)
	@$(MAKE) --no-print-directory $(OCR_STAMP)

setup: $(STAMP) $(OCR_STAMP)

run: $(STAMP) $(OCR_STAMP)
	$(BIN)/mcs serve --demo-if-empty --host 127.0.0.1 --port 8000

test: $(STAMP) $(OCR_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

schema: $(STAMP)
	$(BIN)/mcs export-schema

bench: $(STAMP)
	$(BIN)/python -m bench.core

clean:
	rm -rf $(VENV) var .pytest_cache
