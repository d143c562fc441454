# wangge: two commands do all set-up on a fresh Debian machine (as root, or with sudo).
#   make demo   install, start the embedded database, load the sample, serve the app
#   make test   install, run the whole test suite against a real PostGIS

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := postgresql postgresql-common gdal-bin fonts-noto-cjk chromium poppler-utils
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench system venv clean

demo: system venv
	$(BIN)/wangge demo

test: system venv
	$(BIN)/python -m pytest

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The web benchmarks load with wrk (Debian) and run tipg from bench/.peers-venv (made on use).
bench: system venv
	@dpkg -s wrk >/dev/null 2>&1 || { $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends wrk; }
	$(BIN)/pip install -q -e '.[all,bench]'
	$(BIN)/python bench/run.py

# System packages: PostgreSQL with the PostGIS of its own version, GDAL tools, CJK fonts.
system:
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi; \
	pgver=$$(ls /usr/lib/postgresql | sort -V | tail -1); \
	dpkg -s postgresql-$$pgver-postgis-3 >/dev/null 2>&1 || { \
	  echo "installing PostGIS for PostgreSQL $$pgver"; \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends postgresql-$$pgver-postgis-3; }

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -m venv --help >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q python3-venv; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[all]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
