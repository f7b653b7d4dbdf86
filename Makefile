# One command sets everything up and runs the main job; one sets up and runs the tests.
#   make demo   — create .venv, install planner, solve the bundled 2023, 2024, 2025 rounds in order,
#                 publish each round (认定名单, 推荐名单, feedback per unit), print the ledger against
#                 the 2025 targets and write the briefing
#   make test   — create .venv, install planner with test extras, run the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench setup compile clean browser

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "planner needs Python >= 3.11, found " + sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

setup: $(STAMP)

# An editable install leaves the sources uncompiled; with PYTHONDONTWRITEBYTECODE set (as on
# this machine) every `planner` run would compile them again (0.2–0.4 s of each run).
compile: $(STAMP)
	$(BIN)/python -m compileall -q planner

demo: compile
	$(BIN)/planner solve scenarios/jilin-2023.toml --out out/jilin-2023
	$(BIN)/planner publish out/jilin-2023 --quiet
	$(BIN)/planner scores scenarios/jilin-2023.toml data/jilin/scores_2023.csv --out out/jilin-2023-scores.xlsx --rows 5
	$(BIN)/planner solve scenarios/jilin-2024.toml --out out/jilin-2024 --quiet
	$(BIN)/planner publish out/jilin-2024 --quiet
	$(BIN)/planner solve scenarios/jilin-2025.toml --out out/jilin-2025 --quiet --report
	$(BIN)/planner publish out/jilin-2025
	$(BIN)/planner ledger out/jilin-2025

# The what-if page is tested in a real headless Chromium (Debian's packages). As root (CI) it is
# installed here; otherwise the browser tests skip, naming what is missing.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	      (apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 || \
	       (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1)) || \
	      echo "could not install chromium: the browser tests will be skipped"; \
	    else echo "chromium is not installed and this is not root: the browser tests will be skipped"; fi; }

test: $(STAMP) browser
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

bench: compile
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) out .pytest_cache
