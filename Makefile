# Servicielle: `make demo` serves the demo territory, `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DB_URL ?= sqlite:///var/servicielle.db
# ngsildclient pins old httpx, networkx, rich...: it lives in its own venv, never in $(VENV).
NGSILD_VENV := .venv-ngsildclient
NGSILD_STAMP := $(NGSILD_VENV)/.installed

.PHONY: demo test install assets serve lint typecheck migrations-check pytest lock messages bench clean

$(STAMP): pyproject.toml requirements/lock.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements/lock.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

$(NGSILD_STAMP): requirements/ngsildclient.txt
	test -d $(NGSILD_VENV) || $(PYTHON) -m venv $(NGSILD_VENV)
	$(NGSILD_VENV)/bin/pip install --quiet -r requirements/ngsildclient.txt
	touch $(NGSILD_STAMP)

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

assets: node_modules/.package-lock.json
	$(BIN)/python scripts/copy_assets.py

demo: install assets
	mkdir -p var
	SERVICIELLE_DATABASE_URL=$(DB_URL) $(BIN)/servicielle migrate
	SERVICIELLE_DATABASE_URL=$(DB_URL) $(BIN)/servicielle demo
	@echo ""
	@echo "  Servicielle : http://127.0.0.1:8000"
	@echo "  Comptes de démonstration (mot de passe : Demo-Servicielle-2026)"
	@echo "    administratrice : admin@demo.servicielle.fr"
	@echo "    agent voirie    : agent.voirie@demo.servicielle.fr"
	@echo "    opératrice      : operateur.stationnement@demo.servicielle.fr"
	@echo "    habitante       : habitant@demo.servicielle.fr"
	@echo "  Capteurs simulés : var/simulateur.log, notifications : var/worker.log"
	@echo ""
	@# The worker and the simulator live as long as the server: the trap stops them with it.
	@export SERVICIELLE_DATABASE_URL=$(DB_URL); \
	$(BIN)/servicielle worker > var/worker.log 2>&1 & worker=$$!; \
	$(BIN)/servicielle simulate --url http://127.0.0.1:8000 > var/simulateur.log 2>&1 & simulator=$$!; \
	trap 'kill $$worker $$simulator 2>/dev/null; wait $$worker $$simulator 2>/dev/null' EXIT INT TERM; \
	$(BIN)/servicielle serve --host 127.0.0.1 --port 8000

# Debian's Chromium drives the browser tests; installed here when missing (never a download
# by Playwright itself, which this network refuses).
/usr/bin/chromium:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

lint: install
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/ruff check src tests bench scripts

typecheck: install
	$(BIN)/mypy

pytest: install assets /usr/bin/chromium $(NGSILD_STAMP)
	$(BIN)/pytest -n 2 --dist loadgroup -p no:cacheprovider

test: lint typecheck pytest

# Regenerate the pinned dependency list after changing pyproject.toml.
lock:
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --output-file requirements/lock.txt pyproject.toml

# Refresh the message catalogues after changing user-facing text.
messages: install
	mkdir -p var
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --project=Servicielle -k N_ -k lazy_gettext -o var/messages.pot src/servicielle
	$(BIN)/pybabel update -i var/messages.pot -d src/servicielle/locale -l fr --no-fuzzy-matching

bench: install assets
	$(BIN)/python bench/http_baseline.py

clean:
	rm -rf $(VENV) $(NGSILD_VENV) node_modules var src/servicielle/web/static/vendor
