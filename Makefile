# make run: set up and start the whole local stack.  make test: set up and run every check.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

CONSOLE := chalicelib/console/dist/manifest.json
CONSOLE_SRC := $(shell find console/src -type f 2>/dev/null) console/build.mjs
CHROMIUM := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
# apt-get only what is missing (CI is a fresh Debian machine, as root).
APT := DEBIAN_FRONTEND=noninteractive apt-get

.PHONY: install console browser run test lint package tick bench clean screenshots

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

# The web console: npm packages from package-lock.json, bundled by esbuild into chalicelib/console/dist.
console/node_modules/.installed: console/package.json console/package-lock.json
	command -v npm >/dev/null || ($(APT) update -qq && $(APT) install -y -qq nodejs npm)
	cd console && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(CONSOLE): console/node_modules/.installed $(CONSOLE_SRC)
	cd console && node build.mjs

console: $(CONSOLE)

# Debian's Chromium (and a CJK font, for zh-CN pages) for the browser tests and screenshots.
browser:
	test -x $(CHROMIUM) -a -e $(CJK_FONT) || ($(APT) update -qq && $(APT) install -y -qq chromium fonts-wqy-microhei)

run: install console
	$(BIN)/python -m devstack

test: install console browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n auto --dist loadgroup

screenshots: install console browser
	$(BIN)/python -m tests.screenshots build/screenshots

package: install console
	rm -rf build/package
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(BIN)/chalice package --stage prod --merge-template infra/resources.json build/package
	@ls -l build/package/deployment.zip

tick: install
	$(BIN)/python -m devstack.tick $(AT)

bench: install
	$(BIN)/python bench/trigger.py

clean:
	rm -rf $(VENV) build .local .pytest_cache console/node_modules chalicelib/console/dist
