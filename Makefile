# Two commands do all set-up: `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench reliability clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# The demo as users get it: production settings (the app's own Chinese error pages, static
# files served by WhiteNoise from collectstatic), plain HTTP on this machine only.
PORT ?= 8000
RUN_ENV = DJANGO_DEBUG=0 DJANGO_HTTPS=0 DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost \
	DJANGO_SECRET_KEY="$$(cat .secret-key)"

run: $(STAMP)
	test -s .secret-key || $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > .secret-key
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput
	$(RUN_ENV) $(BIN)/python manage.py collectstatic --noinput -v0
	$(RUN_ENV) $(BIN)/python manage.py load_demo_zone
	@echo "打开 http://127.0.0.1:$(PORT) ，用上面的演示账号登录。"
	$(RUN_ENV) $(BIN)/gunicorn partybuild.wsgi --bind 127.0.0.1:$(PORT) --workers 2 --access-logfile -

# One worker per core; a module's tests stay on one worker, so its data is built once.
TEST_WORKERS ?= auto
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles test-artifacts .secret-key

# PostgreSQL only: DATABASE_URL defaults to a partybuild_bench database on the local server.
# Its rows are replaced (and --fresh drops it), so bench refuses a database not named *_bench.
bench: $(STAMP)
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/partybuild_bench} $(BIN)/python -m bench $(BENCH_ARGS)

# Throwaway PostgreSQL clusters on free ports (root or postgres; the server on 5432 is never
# touched): restarts under load, a replica behind PgBouncer, concurrent saves, backup and
# restore. Prints figures, exits 1 if an invariant fails. RELIABILITY_ARGS=faults runs one.
reliability: $(STAMP)
	$(BIN)/python -m reliability $(RELIABILITY_ARGS)
