# KB: two commands on a fresh machine — `make run` (the site with demo content on SQLite)
# and `make test` (checks and the whole test suite, on SQLite and on a private PostgreSQL, both
# with a private Elasticsearch node for the search tests).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | md5sum | cut -c1-12)
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install messages db checks test-sqlite test-postgres bench clean

$(STAMP):
	scripts/ensure-system-packages.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

messages: install
	$(MANAGE) compilemessages --ignore=$(VENV) -v0

db: messages
	$(MANAGE) migrate --noinput -v0
	$(MANAGE) load_demo

run: db
	@echo "KB is starting at http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"
	$(MANAGE) runserver $(HOST):$(PORT)

checks: messages
	DJANGO_SETTINGS_MODULE=kb.settings.test $(MANAGE) check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=kb.settings.test $(MANAGE) makemigrations --check --dry-run
	$(BIN)/ruff check .

test-sqlite: messages
	$(BIN)/pytest

test-postgres: messages
	scripts/with-postgres.sh $(BIN)/pytest

test: checks
	scripts/with-elasticsearch.sh $(MAKE) --no-print-directory test-sqlite test-postgres

bench: db
	$(BIN)/python bench/search.py

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles
