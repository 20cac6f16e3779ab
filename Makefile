# One entry point for people and CI. `make test` sets up what it needs on first use.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
# LocalStack (end-to-end test, demo, ingest benchmark) needs Python 3.13 and its own venv.
LOCALSTACK_PYTHON ?= python3.13
LOCALSTACK_VENV := .venv-localstack

# What `pulumi up` and `pulumi preview` run in (Pulumi.yaml, policy/PulumiPolicy.yaml): only the program's and the
# pack's own packages, hash-locked, so no test tool's .pth file runs inside a deploy.
DEPLOY_VENV := .venv-deploy
POLICY_VENV := policy/venv

# The component package's venv, built as the Pulumi language host builds it: `venv` in the plugin folder and a
# non-editable `pip install` of the folder. Its tests start the plugin from there (tests/test_component_package.py).
PLUGIN_DIR := component_package
PLUGIN_VENV := $(PLUGIN_DIR)/venv
PLUGIN_SOURCES := $(PLUGIN_DIR)/pyproject.toml $(PLUGIN_DIR)/__main__.py \
	$(shell find component_provider components handlers schemas mapping_templates queries warehouse guardrails \
		-type f -not -path '*/__pycache__/*')

.PHONY: setup test clean localstack-venv demo deploy-venv policy-venv plugin-venv

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==25.3
	$(PY) -m pip install --quiet -r requirements-dev.txt
	# The project itself, editable: its packages import by name from any entry point, no sys.path edits.
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

setup: $(VENV)/.installed

# A pyenv shim for a version that is installed but not selected fails; then ask pyenv for it.
$(LOCALSTACK_VENV)/.installed: requirements-localstack.txt
	test -x $(LOCALSTACK_VENV)/bin/python || $(LOCALSTACK_PYTHON) -m venv $(LOCALSTACK_VENV) \
		|| PYENV_VERSION=$$(pyenv latest 3.13) $(LOCALSTACK_PYTHON) -m venv $(LOCALSTACK_VENV)
	$(LOCALSTACK_VENV)/bin/python -m pip install --quiet --upgrade pip==25.3
	$(LOCALSTACK_VENV)/bin/python -m pip install --quiet -r requirements-localstack.txt
	touch $@

localstack-venv: $(LOCALSTACK_VENV)/.installed

$(DEPLOY_VENV)/.installed: requirements.lock
	test -x $(DEPLOY_VENV)/bin/python || $(PYTHON) -m venv $(DEPLOY_VENV)
	$(DEPLOY_VENV)/bin/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	touch $@

deploy-venv: $(DEPLOY_VENV)/.installed

$(POLICY_VENV)/.installed: policy/requirements.lock
	test -x $(POLICY_VENV)/bin/python || $(PYTHON) -m venv $(POLICY_VENV)
	$(POLICY_VENV)/bin/python -m pip install --quiet --require-hashes --no-deps -r policy/requirements.lock
	touch $@

policy-venv: $(POLICY_VENV)/.installed

# Reinstalled whenever a shipped file changes: the installed copy is what the plugin runs.
$(PLUGIN_VENV)/.installed: $(PLUGIN_SOURCES)
	test -x $(PLUGIN_VENV)/bin/python || $(PYTHON) -m venv $(PLUGIN_VENV)
	$(PLUGIN_VENV)/bin/python -m pip install --quiet $(PLUGIN_DIR)/
	touch $@

plugin-venv: $(PLUGIN_VENV)/.installed

test: setup localstack-venv plugin-venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(PY) -m pytest

# The inner loop, about a minute on two cores: every check of `make test` but the tests marked as needing
# LocalStack, Chromium, Java and Node, or the plugin's venv, and the slow ones (pyproject.toml lists the markers).
.PHONY: check
check: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(PY) -m pytest -n 2 -m "not localstack and not browser and not jdk and not plugin and not slow"

# The whole pipeline offline on LocalStack; writes demo-output/ and stops all it started.
demo: setup localstack-venv
	$(PY) -m demo

clean:
	rm -rf $(VENV) $(LOCALSTACK_VENV) $(DEPLOY_VENV) $(POLICY_VENV) $(PLUGIN_VENV) .pytest_cache .hypothesis
