# The two commands: `make serve` runs Studio, `make test` runs the whole suite.
# Both create .venv from the pinned lock file on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test migrate lock bench clean delete-data

$(STAMP): requirements.lock pyproject.toml
	@echo "Setting up $(VENV) from requirements.lock (first run, or the lock changed; about a minute)..."
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/studio serve

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

migrate: $(STAMP)
	$(BIN)/studio migrate

# Re-pin after editing dependencies in pyproject.toml (needs `pip install uv`). The container's
# lock is the runtime part of the first, at the same versions and hashes.
lock:
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock
	uv pip compile pyproject.toml --generate-hashes --python-version 3.11 -c requirements.lock -o requirements-runtime.lock

# Speed figures (README "measured" sections, bench/README.md); each script prints its own table. The history
# and gallery benches fill a million rows first: several minutes in all on a small machine. The pipeline's
# scaled mode needs PostgreSQL and Redis on 127.0.0.1 (`make bench BENCH_MODES=single` without).
BENCH_MODES ?= single,scaled
bench: $(STAMP)
	@echo "== bench/pipeline.py: latency Studio adds per job, GPU utilisation"
	$(BIN)/python bench/pipeline.py --modes $(BENCH_MODES)
	@echo "== bench/submit.py: POST /api/jobs per second and latency at 1 to 128 clients"
	$(BIN)/python bench/submit.py --modes $(BENCH_MODES)
	@echo "== bench/events.py: live event latency to many /ws/events subscribers"
	$(BIN)/python bench/events.py
	@echo "== bench/history.py: history pages with a million jobs (SQLite)"
	$(BIN)/python bench/history.py
	@echo "== bench/gallery.py: the web gallery with a million jobs (first page, thumbnails, headless Chromium)"
	$(BIN)/python bench/gallery.py
	@echo "== bench/tui_history.py: the TUI history table with many rows"
	$(BIN)/python bench/tui_history.py
	@echo "== bench/sqlite_commits.py: what a SQLite commit costs on the data dir's disk"
	$(BIN)/python bench/sqlite_commits.py --folder .

# Build leftovers only: the virtualenv and caches. Your jobs and images stay in ./data.
clean:
	rm -rf $(VENV) .pytest_cache

# Deletes ./data - the SQLite database, every output image and upload - after asking.
delete-data:
	@printf 'This deletes ./data: the database, every output image and upload. Type "yes" to go on: '; \
	read answer; [ "$$answer" = yes ] || { echo "Nothing deleted."; exit 1; }
	rm -rf data
