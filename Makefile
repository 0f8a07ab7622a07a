# Spolu: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test lint messages translations install migrate demo clean

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

clean:
	rm -rf $(VENV) staticfiles spolu.sqlite3*
