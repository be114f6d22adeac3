# Everything a fresh machine needs: `make demo` serves the demo village and its county, `make test` runs every test.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO_DATA ?= demo-data

.PHONY: demo test test-fast catalogs extract browsers speech postgres bench clean

$(STAMP): pyproject.toml setup.py
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

# Compile locales/<lang>/LC_MESSAGES/messages.po into the package with setup.py's compile_catalogs
# (what a wheel's build runs). Optional in a source tree: without it the .po files are read at start.
catalogs: $(STAMP)
	$(PY) setup.py -q catalogs

# Refresh the catalogs after changing marked strings: then translate, then `make catalogs`.
extract: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ -k _l -o locales/messages.pot .
	$(VENV)/bin/pybabel update -i locales/messages.pot -d locales --ignore-obsolete

# Debian's Chromium and fonts for Chinese and Uyghur, for the browser tests.
browsers:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk fonts-noto-core; }
	@# certutil: the tablet tests trust a node's CA through an NSS database, as a tablet would.
	@command -v certutil >/dev/null 2>&1 || { apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q libnss3-tools; }

# Debian's espeak-ng: the kiosk's read-aloud, made offline on the node (Mandarin, Uyghur, English voices).
speech:
	@command -v espeak-ng >/dev/null 2>&1 || { apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q espeak-ng; }

# Debian's PostgreSQL 15: the tests start a throwaway cluster of their own (tests/pg_helpers.py),
# as the postgres user in a temporary directory; no server needs to be running.
postgres:
	@test -x /usr/lib/postgresql/15/bin/initdb || { apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-15; }

demo: $(STAMP) catalogs speech
	$(VENV)/bin/village demo --data $(DEMO_DATA) --port 8080

test: $(STAMP) catalogs browsers speech postgres
	$(PY) -m pytest -q

# The tests a developer runs while working, in well under a minute: all but those marked slow.
test-fast: $(STAMP) postgres
	$(PY) -m pytest -q -m "not slow"

# SPEC 8 measurements in one run (not part of `make test`): writes docs/benchmarks.md and bench/results.json.
bench: $(STAMP) catalogs postgres
	mkdir -p bench/work
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) village/translations $(DEMO_DATA) .pytest_cache
