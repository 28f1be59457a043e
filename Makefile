# The verbs a newcomer types. Everything installs itself on first use.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?= -n auto

.PHONY: run test check fmt bench setup system-deps test-idp saml-deps demo worker clean

$(VENV)/.installed: pyproject.toml
	@command -v python3.12 >/dev/null 2>&1 || { echo "Python 3.12 is required (python3.12 not found on PATH)"; exit 1; }
	test -x $(PY) || python3.12 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed saml-deps system-deps test-idp

# The test identity providers for the single sign-on tests, installed from their lock files
# here, never at test time: node-oidc-provider (supportplan/signin/tests/oidc_idp/) and a
# samlify SAML IdP (supportplan/signin/tests/saml_idp/).
IDP_DIR := supportplan/signin/tests/oidc_idp
SAML_IDP_DIR := supportplan/signin/tests/saml_idp
test-idp:
	@if [ ! -d $(IDP_DIR)/node_modules/oidc-provider ] || [ ! -d $(SAML_IDP_DIR)/node_modules/samlify ]; then \
	  if command -v npm >/dev/null 2>&1; then \
	    npm ci --prefix $(IDP_DIR) --no-audit --no-fund && npm ci --prefix $(SAML_IDP_DIR) --no-audit --no-fund; \
	  else echo "npm not found: the single sign-on browser tests will be skipped (they need node)"; fi; \
	fi

# SAML (python3-saml) signs and verifies with the xmlsec package, which must use the same
# libxml2 as lxml or it refuses to work. The PyPI wheels of the pinned versions agree (both
# bundle libxml2 2.14.6); where they do not (another platform, a newer lxml), build both from
# source against the system's libxml2/libxmlsec1 (Debian: libxml2-dev libxmlsec1-dev pkg-config).
saml-deps: $(VENV)/.installed
	@$(PY) -c "import lxml.etree as e, xmlsec, sys; sys.exit(e.LIBXML_VERSION != xmlsec.get_libxml_version())" \
	  || { echo "lxml and xmlsec use different libxml2: building both from source"; \
	       $(PY) -m pip install --quiet --force-reinstall --no-binary lxml,xmlsec lxml xmlsec; }

# Debian packages: Chromium for browser tests, CJK fonts for PDF reports, poppler for PDF checks,
# Prometheus Alertmanager for the alert-integration tests.
system-deps:
	@missing=""; \
	test -x /usr/bin/chromium || missing="$$missing chromium chromium-driver"; \
	fc-list :lang=zh 2>/dev/null | grep -qi "noto" || missing="$$missing fonts-noto-cjk"; \
	command -v pdftoppm >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	command -v msgfmt >/dev/null 2>&1 || missing="$$missing gettext"; \
	command -v prometheus-alertmanager >/dev/null 2>&1 || missing="$$missing prometheus-alertmanager"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages:$$missing"; \
	    lock="-o DPkg::Lock::Timeout=600"; \
	    apt-get $$lock update -qq && DEBIAN_FRONTEND=noninteractive apt-get $$lock install -y -qq $$missing >/dev/null \
	      || { echo "apt-get could not install:$$missing. If another apt/dpkg run holds the lock (we waited 10 min), let it finish or stop it, then run make setup again; or install them yourself: apt-get install$$missing"; exit 1; }; \
	  else echo "please install the Debian packages:$$missing"; exit 1; fi; \
	fi

# Run the product on SQLite with demo data at http://$(HOST):$(PORT) (plus a task worker).
run: setup
	$(PY) manage.py migrate --noinput
	SUPPORTPLAN_SITE_URL=http://$(HOST):$(PORT) $(PY) manage.py demo_seed
	$(PY) manage.py collectstatic --noinput -v 0
	@trap 'kill 0' EXIT; export SUPPORTPLAN_SITE_URL=http://$(HOST):$(PORT); \
	$(PY) manage.py db_worker --queue-name '*' >var/worker.log 2>&1 & \
	$(PY) manage.py scheduler >var/scheduler.log 2>&1 & \
	$(PY) manage.py runserver $(HOST):$(PORT)

worker: setup
	$(PY) manage.py db_worker --queue-name '*'

# The whole test suite. DATABASE_URL=postgres://... runs it on PostgreSQL.
test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

check: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy supportplan
	DJANGO_SETTINGS_MODULE=supportplan.config.settings.test $(PY) manage.py makemigrations --check --dry-run

fmt: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Figures, never pass/fail. Cases need PostgreSQL on 127.0.0.1:5432 (they make their own database).
# Every benchmark, sized to finish in under 15 minutes here (see benchmarks/README.md).
bench: setup
	$(PY) benchmarks/bench_sla.py --rows 300000
	$(PY) benchmarks/bench_reports.py --batch 4 --runs 2
	$(PY) benchmarks/gen_cases.py --reset
	$(PY) benchmarks/bench_cases.py --seconds 16
	$(PY) benchmarks/bench_sweep.py --workers 2
	$(PY) benchmarks/bench_peer_helpdesk.py --seconds 20

clean:
	rm -rf var test-artifacts
