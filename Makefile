# Spolu: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test lint messages translations install migrate demo clean bench bench-pg

$(STAMP): requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	touch $(STAMP)

install: $(STAMP)

translations: install
	SPOLU_DEBUG=1 $(BIN)/python manage.py compile_translations

run: install translations
	SPOLU_DEBUG=1 $(BIN)/python manage.py migrate --no-input
	SPOLU_DEBUG=1 $(BIN)/python manage.py createcachetable
	SPOLU_DEBUG=1 $(BIN)/python manage.py load_demo
	@echo ""
	@echo "Spolu is starting at http://127.0.0.1:8000 - log in with a demo login above."
	@echo "For the demo, pages with pupil data do not ask for two-factor login (SPOLU_CASE_DATA_MFA=0)."
	@echo "Stop it with Ctrl+C."
	SPOLU_DEBUG=1 SPOLU_CASE_DATA_MFA=0 $(BIN)/python manage.py runserver 127.0.0.1:8000

test: install translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Extract new strings into the .po files, then compile them.
messages: install
	$(BIN)/python manage.py makemessages -l cs -l pl --no-obsolete --no-location -i staticfiles -i "tests/*" -i "*/tests/*"
	SPOLU_DEBUG=1 $(BIN)/python manage.py compile_translations

# The benchmark (docs/performance.md): town then national scale, each in a fresh database.
BENCH_ARGS ?=
BENCH_RUN = SPOLU_DEBUG=1 $(BIN)/python manage.py
bench: install translations
	rm -f bench-town.sqlite3* bench-national.sqlite3*
	DATABASE_URL=sqlite:///$(CURDIR)/bench-town.sqlite3 $(BENCH_RUN) bench_data --scale town
	DATABASE_URL=sqlite:///$(CURDIR)/bench-town.sqlite3 $(BENCH_RUN) bench $(BENCH_ARGS) \
		--json bench-town-sqlite.json
	DATABASE_URL=sqlite:///$(CURDIR)/bench-national.sqlite3 $(BENCH_RUN) bench_data --scale national
	DATABASE_URL=sqlite:///$(CURDIR)/bench-national.sqlite3 $(BENCH_RUN) bench $(BENCH_ARGS) \
		--compare bench-town-sqlite.json --json bench-national-sqlite.json

# The same on PostgreSQL: BENCH_PG is a server URL without a database name.
BENCH_PG ?= postgres://postgres@127.0.0.1:5432
bench-pg: install translations
	psql "$(BENCH_PG)/postgres" -q -c "DROP DATABASE IF EXISTS spolu_bench_town" \
		-c "CREATE DATABASE spolu_bench_town" -c "DROP DATABASE IF EXISTS spolu_bench_national" \
		-c "CREATE DATABASE spolu_bench_national"
	DATABASE_URL=$(BENCH_PG)/spolu_bench_town $(BENCH_RUN) bench_data --scale town
	DATABASE_URL=$(BENCH_PG)/spolu_bench_town $(BENCH_RUN) bench $(BENCH_ARGS) \
		--json bench-town-postgresql.json
	DATABASE_URL=$(BENCH_PG)/spolu_bench_national $(BENCH_RUN) bench_data --scale national
	DATABASE_URL=$(BENCH_PG)/spolu_bench_national $(BENCH_RUN) bench $(BENCH_ARGS) \
		--compare bench-town-postgresql.json --json bench-national-postgresql.json

clean:
	rm -rf $(VENV) staticfiles spolu.sqlite3* bench-*.sqlite3* bench-*.json
