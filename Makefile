# Two commands on a fresh machine:
#   make site   sets everything up and builds the site from data/ into output/
#   make test   sets everything up and runs the whole test suite
# And one for the comms staff who publish each round:
#   make desk   sets everything up and starts the publishing desk at http://127.0.0.1:8001/
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: site test desk setup test-tools lint serve validate clean govuk-frontend

site: setup
	$(BIN)/dps-publish build

desk: setup
	$(BIN)/dps-publish desk

test: setup node_modules/.installed test-tools lint
	$(BIN)/python -m pytest

# The linter runs before the tests and fails the test command on any finding (settings in pyproject.toml).
lint: setup
	$(BIN)/ruff check --no-cache dps_publish tests bench

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt scripts/install-system-packages.sh
	bash scripts/install-system-packages.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $@

# axe-core and the Nu HTML Checker for the tests, and GOV.UK Frontend (package-lock.json pins them).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

# The two files the theme needs from GOV.UK Frontend ship inside the package, so building a site needs no npm.
# After changing its version in package.json, run this and commit dps_publish/site/govuk/ (a test holds them equal).
GOVUK := node_modules/govuk-frontend
govuk-frontend: node_modules/.installed
	cp $(GOVUK)/dist/govuk/govuk-frontend.min.css $(GOVUK)/dist/govuk/assets/images/favicon.svg dps_publish/site/govuk/
	node -p 'const p = require("./$(GOVUK)/package.json"); `$${p.name} $${p.version}, $${p.license} licence, $${p.homepage}`' \
	  > dps_publish/site/govuk/SOURCE

test-tools:
	bash scripts/install-test-tools.sh

serve: setup
	$(BIN)/dps-publish serve

validate: setup
	$(BIN)/dps-publish validate

clean:
	rm -rf output .output.* $(VENV)
