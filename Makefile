# OIT crawler: `make demo` and `make test` work on a fresh machine (they run `make install` first).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_PORT ?= 8765

.PHONY: install chromium redis demo test lint bench eval clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,workers]'
	touch $(STAMP)

demo: install
	@$(BIN)/python -m http.server --bind 127.0.0.1 $(DEMO_PORT) -d data/demo-site >/dev/null 2>&1 & \
	pid=$$!; trap "kill $$pid" EXIT; sleep 1; \
	$(BIN)/oit scan http://127.0.0.1:$(DEMO_PORT)/ --db data/demo.db --json data/demo-result.json \
		--name "เทศบาลตำบลตัวอย่าง (demo)"; \
	code=$$?; test $$code -ne 1 && $(BIN)/oit report --latest --db data/demo.db --format html -o data/demo-report.html; \
	echo "HTML report (open it in a browser): $(CURDIR)/data/demo-report.html"; \
	echo "result JSON: data/demo-result.json, database: data/demo.db (exit code $$code)"; \
	test $$code -ne 1

lint: install
	$(BIN)/ruff check crawler tests bench

# Debian's Chromium: its headless shell renders pages whose menus are built by scripts (Playwright drives it;
# never `playwright install`); the browser itself runs the web app's and the HTML reports' tests
chromium:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y --no-install-recommends chromium)
	command -v chromium-headless-shell >/dev/null || \
	  (apt-get update && apt-get install -y --no-install-recommends chromium-headless-shell) || \
	  echo "chromium-headless-shell is not packaged here: the full browser renders pages (some 90 MB more)"

# Debian's Redis: the distributed workers' tests start their own redis-server on a loopback port
redis:
	command -v redis-server >/dev/null || (apt-get update && apt-get install -y --no-install-recommends redis-server)

test: install chromium redis lint
	# the pure tests and the CLI's own under a Thai Windows console's encoding: output never crashes on it
	PYTHONIOENCODING=cp874 $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_thai.py tests/test_dates.py \
		tests/test_period.py tests/test_verdict.py tests/test_match.py tests/test_cli.py
	# the rest on two processes, a file's tests in one of them (its servers and fixtures shared): under 10 minutes
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

bench: install redis
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/bench.py
	$(BIN)/python bench/workers.py

eval: install
	$(BIN)/python ../shared/eval/score.py ../shared/eval/sites --cmd "$(BIN)/oit scan {url} --year 2565 --db {db} --json {out}" -v

clean:
	rm -rf $(VENV) data/oit.db* data/demo.db* data/demo-result.json data/demo-report.html .pytest_cache
