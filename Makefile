# Amends: `make test` sets everything up and runs the whole suite (lint, types, tests).
# Works as root on a fresh Debian 12 with Python 3.11; installs what is missing.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# A login role for the tests that works whether PostgreSQL uses trust or password auth.
PG_TEST_ROLE := amends_test
export AMENDS_TEST_POSTGRES_URL ?= postgresql+psycopg://$(PG_TEST_ROLE):$(PG_TEST_ROLE)@127.0.0.1:5432/postgres

.PHONY: test soak lint typecheck pytest install system-deps dovecot postgres clean demo demo-serve

test: install system-deps lint typecheck pytest

install: $(BIN)/.installed

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	@$(PYTHON) -m venv --help >/dev/null 2>&1 && $(PYTHON) -c 'import ensurepip' 2>/dev/null \
		|| (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

system-deps: dovecot postgres

dovecot:
	@command -v dovecot >/dev/null 2>&1 || { \
		echo "installing Dovecot (dovecot-imapd) for the IMAP test server"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd; }

postgres:
	@command -v pg_ctlcluster >/dev/null 2>&1 || { \
		echo "installing PostgreSQL for the database tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; }
	@pg_isready -q -h 127.0.0.1 -p 5432 || { \
		echo "starting PostgreSQL"; \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | sort -V | tail -n 1) main start; \
		for i in $$(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; }
	@runuser -u postgres -- psql -qtAc "SELECT 1 FROM pg_roles WHERE rolname = '$(PG_TEST_ROLE)'" \
		| grep -q 1 || runuser -u postgres -- psql -qc \
		"CREATE ROLE $(PG_TEST_ROLE) LOGIN CREATEDB PASSWORD '$(PG_TEST_ROLE)'"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

pytest: install system-deps
	$(BIN)/pytest

# Crash consistency at length: `amends run` killed with SIGKILL 200 times at random instead of
# the 20 of `make test` (ten rounds of 2,000 messages on one growing mailbox; half an hour or
# more). AMENDS_CRASH_SEED=N replays the schedule a failure printed.
soak: install system-deps
	AMENDS_SOAK_KILLS=200 $(BIN)/pytest tests/reliability/test_crash.py

# The whole story on a throwaway Dovecot and SMTP server: complaints in, tickets with owners,
# a draft in Drafts, the agent's reply, the follow-up a week later. Leaves nothing behind.
demo: install dovecot
	$(BIN)/python -m demo.run

# The same, then the servers and `amends run` keep going (open the mailbox in a mail client)
# until Ctrl-C.
demo-serve: install dovecot
	$(BIN)/python -m demo.run --serve

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
