# The README's two set-up commands: `make demo` and `make test`. Both work on a fresh machine:
# they install what the system lacks (libmagic, git), create .venv and install triage into it.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLE := samples/out

.PHONY: demo test golden system-deps bench bench-docs lint clean

demo: $(STAMP)
	$(BIN)/python samples/make_sample.py --out $(SAMPLE)
	rm -f $(SAMPLE)/inventory.db
	rm -rf $(SAMPLE)/evidence
	$(BIN)/triage index $(SAMPLE)/inventory --db $(SAMPLE)/inventory.db
	$(BIN)/triage scan $(SAMPLE)/drop.zip --db $(SAMPLE)/inventory.db --out $(SAMPLE)/evidence; \
	  rc=$$?; [ $$rc -le 1 ] || exit $$rc
	@echo
	@sed -n '1,/^## Altered/p' $(SAMPLE)/evidence/report.md | sed '$$d'
	@echo "Full reports: $(SAMPLE)/evidence/report.md and $(SAMPLE)/evidence/report.json"

test: $(STAMP)
	$(BIN)/python -m pytest

# Rewrite the golden sample reports after a deliberate change (review the diff like code).
golden: $(STAMP)
	TRIAGE_REFRESH_GOLDEN=1 $(BIN)/python -m pytest -q tests/test_golden_reports.py

# Accuracy benchmark (downloads public package releases from PyPI and npm on first run).
bench: $(STAMP)
	$(BIN)/python benchmarks/accuracy/run.py

# Documents and dumps benchmark (builds its own data, no network): per-class F1 vs a MinHash baseline.
bench-docs: $(STAMP)
	$(BIN)/python benchmarks/documents/run.py

lint: $(STAMP)
	$(BIN)/python -m ruff check triage tests

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory system-deps
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	touch $(STAMP)

# System packages: libmagic (python-magic), git (indexing histories), libarchive (7z, rar, cpio,
# ISO drops), chromium (the test that opens report.html in a real headless browser) and
# postgresql (the server binaries the tests start a throwaway PostgreSQL index with; triage
# itself needs neither, only a server URL for a shared index).
system-deps:
	@missing=""; \
	$(PY) -c "import ctypes.util,sys; sys.exit(0 if ctypes.util.find_library('magic') else 1)" || missing="$$missing libmagic1"; \
	command -v git >/dev/null || missing="$$missing git"; \
	$(PY) -c "import ctypes.util,sys; sys.exit(0 if ctypes.util.find_library('archive') else 1)" || missing="$$missing libarchive13"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "triage needs these system packages:$$missing (Debian/Ubuntu: sudo apt-get install$$missing)"; exit 1; \
	  fi; \
	fi

clean:
	rm -rf $(VENV) $(SAMPLE) benchmarks/work .pytest_cache
