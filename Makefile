# Two commands set everything up on a fresh machine with Python and make:
#   make run   - creates .venv, installs, starts Temporal dev server + worker + API
#   make test  - creates .venv, installs, runs lint and the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench clean

# The slip PDFs embed a Chinese TrueType font (AR PL UMing, Debian's fonts-arphic-uming); the
# tests check that they do, so `make test` installs it when it is missing.
FONT := /usr/share/fonts/truetype/arphic/uming.ttc
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/xueji dev

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

$(FONT):
	@command -v apt-get >/dev/null || { echo "need the font $(FONT): install AR PL UMing (Debian/Ubuntu package fonts-arphic-uming)"; exit 1; }
	$(SUDO) apt-get install -y -q fonts-arphic-uming || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q fonts-arphic-uming; }

# Two workers share the suite (each with its own dev server, store templates and ports);
# `make test PYTEST_WORKERS=0` runs it in one process. Tests that must not share a worker's
# time with one another are marked xdist_group.
PYTEST_WORKERS ?= 2

# The console's browser tests drive Debian's Chromium (never a browser download) with CJK fonts.
CHROMIUM := /usr/bin/chromium
CJK_FONTS := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

$(CHROMIUM) $(CJK_FONTS):
	@command -v apt-get >/dev/null || { echo "need Chromium and CJK fonts: install Debian/Ubuntu packages chromium fonts-noto-cjk"; exit 1; }
	$(SUDO) apt-get install -y -q chromium fonts-noto-cjk || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium fonts-noto-cjk; }

test: lint $(FONT) $(CHROMIUM) $(CJK_FONTS)
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/routing.py
	$(BIN)/python bench/lifecycle.py
	$(BIN)/python bench/intake.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/storm.py
	$(BIN)/python bench/retime.py

clean:
	rm -rf $(VENV) *.egg-info
