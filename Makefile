# KB: two commands on a fresh machine — `make run` (the site with demo content on SQLite)
# and `make test` (checks and the whole test suite, on SQLite and on a private PostgreSQL, both
# with a private Elasticsearch node for the search tests).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# What running needs (requirements.txt) and, on top, what only the tests need (requirements-dev.txt,
# Chromium, PostgreSQL, Redis, Java 17, Maven, npm): `make run` installs the first only.
RUN_STAMP := $(VENV)/.installed-run-$(shell cat requirements.txt | md5sum | cut -c1-12)
TEST_STAMP := $(VENV)/.installed-test-$(shell cat requirements.txt requirements-dev.txt | md5sum | cut -c1-12)
# axe-core for the browser tests, from package-lock.json (npm ci empties node_modules first)
NODE_STAMP := node_modules/.installed-$(shell cat package-lock.json | md5sum | cut -c1-12)
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run serve test install install-test messages test-messages db checks test-sqlite test-postgres test-browser test-chaos test-cluster screenshots bench bench-load bench-load-es-freeze bench-render bench-scale bench-explain bench-reindex bench-engine-rebuild bench-es-overhead clean

$(RUN_STAMP):
	scripts/ensure-system-packages.sh run
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-run-* && touch $(RUN_STAMP)

$(TEST_STAMP): $(RUN_STAMP)
	scripts/ensure-system-packages.sh test
	$(BIN)/pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-test-* && touch $(TEST_STAMP)

$(NODE_STAMP): $(TEST_STAMP) package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --no-audit --no-fund --loglevel=error && touch $(NODE_STAMP); \
	else \
	  echo "npm not found: the browser tests' axe-core is not installed (sudo apt-get install npm)" >&2; \
	fi

install: $(RUN_STAMP)

install-test: $(TEST_STAMP) $(NODE_STAMP)

messages: install
	$(MANAGE) compilemessages --ignore=$(VENV) -v0

test-messages: install-test messages

# Logs at WARNING while loading: the demo publishes ~100 pages, each logging its tasks at INFO; the
# loader prints its own progress.
db: messages
	$(MANAGE) migrate --noinput -v0
	LOG_LEVEL=WARNING $(MANAGE) load_demo
	$(MANAGE) export_open_data

run: db
	@echo "KB is starting at http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"
	$(MANAGE) runserver $(HOST):$(PORT)

# The production try-out (scripts/serve.sh): gunicorn with the production settings on
# 127.0.0.1:$(SERVE_PORT), a private PostgreSQL and Redis kept under var/serve/, the index worker;
# demo content unless KB_SERVE_DEMO=0. Ctrl-C stops it all. README: "Running in production".
SERVE_PORT ?= $(PORT)
serve: messages
	scripts/ensure-system-packages.sh serve
	SERVE_PORT=$(SERVE_PORT) scripts/serve.sh

checks: test-messages
	DJANGO_SETTINGS_MODULE=kb.settings.test $(MANAGE) check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=kb.settings.test $(MANAGE) makemigrations --check --dry-run
	$(BIN)/ruff check .

test-sqlite: test-messages
	$(BIN)/pytest

test-postgres: test-messages
	scripts/with-postgres.sh $(BIN)/pytest

# The public site in Debian's Chromium (tests/browser): end-to-end, accessibility (axe-core), keyboard,
# page weight, no-JavaScript and screenshots, on a server the tests start on the embedded SQLite.
# Output (axe reports, page weights, screenshots) goes to artifacts/.
test-browser: test-messages
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/pytest tests/browser -m browser

# Failure scenarios on real processes (tests/chaos, the harness of bench/chaos.py): publishers, searches
# through gunicorn, the index worker and reindex on a private PostgreSQL and Elasticsearch node that is
# stopped, frozen and restarted; nothing may be lost or served stale. Logs and figures in artifacts/chaos/.
test-chaos: test-messages
	scripts/with-elasticsearch.sh scripts/with-postgres.sh $(BIN)/pytest tests/chaos -m chaos

# A three-node Elasticsearch cluster (scripts/with-elasticsearch.sh --nodes 3; indexes with one replica)
# under the chaos harness's publishers and searches: a node stopped (SIGTERM), the master killed (SIGKILL),
# a rolling restart of all three; no failed search, no lost edit, green again. artifacts/cluster/.
# A step of its own (.ci/run calls it after `make test`), so that `make test` stays well within its time.
test-cluster: test-messages
	scripts/with-elasticsearch.sh --nodes 3 scripts/with-postgres.sh $(BIN)/pytest tests/cluster -m cluster

# The screenshots of README.md (docs/screenshots/), taken by the browser tests.
screenshots: test-messages
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 KB_SCREENSHOTS_TO_DOCS=1 $(BIN)/pytest tests/browser -m browser -k screenshots

test: checks
	scripts/with-elasticsearch.sh $(MAKE) --no-print-directory test-sqlite test-postgres
	$(MAKE) --no-print-directory test-browser
	$(MAKE) --no-print-directory test-chaos

bench: db
	$(BIN)/python bench/search.py

# Capacity through gunicorn on PostgreSQL (and the private Elasticsearch node): a realistic mix at
# 10/50/100 users with think time, an editor publishing; bench/results-load.md. The first run builds
# 10,000 synthetic practices. Options: make bench-load LOAD_ARGS="--duration 30".
bench-load: test-messages
	scripts/with-elasticsearch.sh scripts/with-postgres.sh $(BIN)/python bench/load.py $(LOAD_ARGS)

# Elasticsearch frozen (SIGSTOP) under load; bench/results-load-es-freeze.md.
bench-load-es-freeze: test-messages
	scripts/with-elasticsearch.sh $(BIN)/python bench/load.py --scenario es-freeze $(LOAD_ARGS)

# Rendering in-process at 10,000 practices, warm and cold, beside a base commit; bench/results-render.md.
bench-render: db
	$(BIN)/python bench/render.py $(RENDER_ARGS)

# What users meet at scale (bench/scale.py): search through gunicorn with 4 workers at 10,000 synthetic
# practices, warm, cold (each worker's first search after a publish), under writes (a publish every 2 s)
# and publish → searchable, beside the stock Wagtail search and (elasticsearch) a bare request with KB's
# body; bench/results-scale-<backend>-<N>.md. postgres and elasticsearch start their private servers.
# E.g. make bench-scale SCALE_ARGS="--backend postgres --practices 100000".
SCALE_ARGS ?= --backend sqlite
bench-scale: test-messages
	$(BIN)/python bench/scale.py $(SCALE_ARGS)

# Query plans on PostgreSQL (bench/explain.py): EXPLAIN (ANALYZE, BUFFERS) of every statement of KB's main query
# shapes (searches, autocomplete, the facet matrix's build and update, a publish with the change log, the index
# worker, the home, practice and region pages), taken from the real code paths on a private PostgreSQL with
# 10,000 synthetic practices; Seq Scans on big tables flagged; bench/results-explain-postgres-<N>.md.
# E.g. make bench-explain EXPLAIN_ARGS="--practices 100000".
bench-explain: test-messages
	$(BIN)/python bench/explain.py $(EXPLAIN_ARGS)

# Full reindex time and documents/s per backend (bench/reindex.py) on 10,000 synthetic practices: SQLite,
# PostgreSQL and Elasticsearch on their private servers; bench/results-reindex.md. Before/after in one run:
# make bench-reindex REINDEX_ARGS="--baseline <commit>"; other sizes: REINDEX_ARGS="--practices 100000".
bench-reindex: test-messages
	$(BIN)/python bench/reindex.py $(REINDEX_ARGS)

# Elasticsearch rebuilt from the database index (reindex --elasticsearch-only, bench/engine_rebuild.py) on a
# SQLite database kept for benchmarks (changed for good: --clone-to copies its index rows up to about N
# documents per language); bench/results-engine-rebuild-<documents>.md. E.g.
# make bench-engine-rebuild ENGINE_DB=/tmp/kb-10k.sqlite3 ENGINE_ARGS="--clone-to 100000"
ENGINE_DB ?= /tmp/kb-bench-engine.sqlite3
bench-engine-rebuild: test-messages
	scripts/with-elasticsearch.sh env DATABASE_URL=sqlite:///$(ENGINE_DB) $(BIN)/python bench/engine_rebuild.py $(ENGINE_ARGS)

# make bench-es-overhead OVERHEAD_DB=/tmp/kb-10k.sqlite3 OVERHEAD_ARGS="--repeat 100"
OVERHEAD_DB ?= /tmp/kb-bench-es-overhead.sqlite3
bench-es-overhead: test-messages
	scripts/with-elasticsearch.sh env DATABASE_URL=sqlite:///$(OVERHEAD_DB) $(BIN)/python bench/es_overhead.py $(OVERHEAD_ARGS)

clean:
	rm -rf $(VENV) node_modules db.sqlite3 media staticfiles
