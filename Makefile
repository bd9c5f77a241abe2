# make run: set up and start the whole local stack.  make test: set up and run every check.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt runtime/pyproject.toml client/pyproject.toml | cksum | cut -d' ' -f1)

CONSOLE := chalicelib/console/dist/manifest.json
CONSOLE_SRC := $(shell find console/src -type f 2>/dev/null) console/build.mjs
CHROMIUM := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
# apt-get only what is missing (CI is a fresh Debian machine, as root).
APT := DEBIAN_FRONTEND=noninteractive apt-get

.PHONY: install console browser run test lint package deploy deploy-check destroy tick bench clean screenshots

# make deploy / make destroy: a stage in your AWS account, with the AWS CLI and your credentials.
STACK ?= sre-automations
REGION ?= $(or $(AWS_REGION),$(AWS_DEFAULT_REGION))
AWS ?= aws
ARTIFACTS_BUCKET ?=
ALARM_EMAIL ?=
OWNER_EMAIL ?=
EMAIL_FROM ?=
AGENT_API_KEY_SECRET ?=
PUBLIC_URL ?=
DELETE_DATA ?=
# Stack parameters given on this call; the others keep the values the stack has (EmailFrom is required the first time).
OVERRIDES = $(strip $(if $(ALARM_EMAIL),AlarmEmail=$(ALARM_EMAIL)) $(if $(EMAIL_FROM),EmailFrom=$(EMAIL_FROM)) \
	$(if $(AGENT_API_KEY_SECRET),AgentApiKeySecret=$(AGENT_API_KEY_SECRET)) $(if $(PUBLIC_URL),PublicBaseUrl=$(PUBLIC_URL)))
TABLES = $(shell $(BIN)/python -c 'import json; r = json.load(open("infra/resources.json"))["Resources"]; \
	print(" ".join(v["Properties"]["TableName"] for v in r.values() if v.get("Type") == "AWS::DynamoDB::Table"))')
OUTPUT = $(AWS) cloudformation describe-stacks --region $(REGION) --stack-name $(STACK) --output text --query

# The stamp's name is the requirements' checksum: a change of their content makes a new name (and an install);
# their mtimes do not matter (a fresh checkout or a git worktree sharing the .venv does not reinstall).
$(STAMP):
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
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n auto --dist loadgroup

screenshots: install console browser
	$(BIN)/python -m tests.screenshots build/screenshots

package: install console
	rm -rf build/package
	$(BIN)/python infra/template.py build/infra.json
	$(BIN)/python infra/stage.py build/stage
	cd build/stage && AWS_DEFAULT_REGION=$(or $(REGION),us-east-1) $(CURDIR)/$(BIN)/chalice package --stage prod \
		--merge-template ../infra.json ../package
	$(BIN)/python infra/slim_layer.py build/package

deploy-check:
	@test -n "$(REGION)" || { echo "set AWS_REGION (or REGION=…) to the region to deploy to" >&2; exit 2; }
	@test -n "$(ARTIFACTS_BUCKET)" || { echo "set ARTIFACTS_BUCKET=<an S3 bucket of yours in $(REGION)> for the packages" >&2; exit 2; }
	@command -v $(AWS) >/dev/null || { echo "make deploy needs the AWS CLI ($(AWS)); install it and configure credentials" >&2; exit 2; }

deploy: deploy-check package
	$(AWS) cloudformation package --region $(REGION) --template-file build/package/sam.json --s3-bucket $(ARTIFACTS_BUCKET) \
		--s3-prefix $(STACK) --use-json --output-template-file build/packaged.json
	$(AWS) cloudformation deploy --region $(REGION) --template-file build/packaged.json --stack-name $(STACK) \
		--capabilities CAPABILITY_IAM --no-fail-on-empty-changeset $(if $(OVERRIDES),--parameter-overrides $(OVERRIDES))
	@echo "API: $$($(OUTPUT) "Stacks[0].Outputs[?OutputKey=='EndpointURL'].OutputValue")"
	@echo "dashboard: $$($(OUTPUT) "Stacks[0].Outputs[?OutputKey=='DashboardURL'].OutputValue")"
	$(if $(OWNER_EMAIL),umask 077 && $(AWS) lambda invoke --region $(REGION) --cli-binary-format raw-in-base64-out \
		--function-name "$$($(OUTPUT) "Stacks[0].Outputs[?OutputKey=='BootstrapFunctionName'].OutputValue")" \
		--payload '{"owner_email": "$(OWNER_EMAIL)"}' build/bootstrap.json >/dev/null && \
		$(BIN)/python infra/bootstrap_answer.py build/bootstrap.json; rm -f build/bootstrap.json)

destroy:
	@test -n "$(REGION)" || { echo "set AWS_REGION (or REGION=…) to the stack's region" >&2; exit 2; }
	$(AWS) cloudformation delete-stack --region $(REGION) --stack-name $(STACK)
	$(AWS) cloudformation wait stack-delete-complete --region $(REGION) --stack-name $(STACK)
	$(if $(DELETE_DATA),for table in $(TABLES); do $(AWS) dynamodb delete-table --region $(REGION) --table-name $$table >/dev/null && echo "deleted $$table"; done,@echo "kept the tables and their data (DELETE_DATA=1 deletes them too)")

tick: install
	$(BIN)/python -m devstack.tick $(if $(MINUTE),--minute) $(AT)

bench: install
	$(BIN)/python bench/trigger.py

clean:
	rm -rf $(VENV) build .local .pytest_cache console/node_modules chalicelib/console/dist
