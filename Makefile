# Two commands: `make demo` runs the main job, `make test` runs every check.
# Both set themselves up: uv is installed into .tools/ if it is not on PATH.
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)

.PHONY: demo test lint bench setup cluster

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

# Bytecode is compiled at set-up (the libraries' and loadguard's own): a command then
# starts in a third of the time, also where $$PYTHONDONTWRITEBYTECODE keeps Python from
# caching it on first use (bench/bench_cli.py measures both).
setup: $(UV)
	$(UV) sync --quiet --frozen --compile-bytecode 2>/dev/null || $(UV) sync --quiet --compile-bytecode
	.venv/bin/python -m compileall -q src connectors >/dev/null

demo: setup
	LOADGUARD_COMMAND=./loadguard $(UV) run loadguard demo
	@echo "Every command: ./loadguard --help (README: Using it)."

lint: setup
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy
	$(UV) run lint-imports

test: lint
	$(UV) run pytest -q

# The scaled set-up on this machine: PostgreSQL (Debian's postgresql package), the web
# app and two workers (scripts/cluster.py). Ctrl-C stops it.
cluster: setup
	$(UV) run python scripts/cluster.py

bench: setup
	$(UV) run python bench/bench_cli.py
	$(UV) run python bench/bench_decoder.py
	$(UV) run python bench/bench_import.py
	$(UV) run python bench/bench_guard.py
	$(UV) run python bench/bench_webhook.py
	$(UV) run python bench/bench_webhook_flood.py
	$(UV) run python bench/bench_memory.py
	$(UV) run python bench/bench_hostile.py
	$(UV) run python bench/bench_osm.py
	$(UV) run python bench/bench_alerts.py
	$(UV) run python bench/bench_web.py
	$(UV) run python bench/bench_coach_list.py
	$(UV) run python bench/bench_gpx_tcx.py
	$(UV) run python bench/bench_scale.py
