# make run: set up and start the whole local stack.  make test: set up and run every check.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt client/pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install run test lint package tick bench clean

$(STAMP): requirements.txt requirements-dev.txt client/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python -m devstack

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n auto

package: install
	rm -rf build/package
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(BIN)/chalice package --stage prod --merge-template infra/resources.json build/package
	@ls -l build/package/deployment.zip

tick: install
	$(BIN)/python -m devstack.tick $(if $(MINUTE),--minute) $(AT)

bench: install
	$(BIN)/python bench/trigger.py

clean:
	rm -rf $(VENV) build .local .pytest_cache
