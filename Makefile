# One entry point for people and CI. `make test` sets up what it needs on first use.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
# LocalStack (end-to-end test, demo, ingest benchmark) needs Python 3.13 and its own venv.
LOCALSTACK_PYTHON ?= python3.13
LOCALSTACK_VENV := .venv-localstack

# What `pulumi up` and `pulumi preview` run in (Pulumi.yaml, policy/PulumiPolicy.yaml): only the program's and the
# pack's own packages, so no test tool's .pth file runs inside a deploy.
DEPLOY_VENV := .venv-deploy
POLICY_VENV := policy/venv
# The weekly usage report's (.github/workflows/usage-report.yml): what `python -m usage_report` imports, nothing else.
USAGE_REPORT_VENV := .venv-usage-report

# The component package's venv, built as the Pulumi language host builds it: `venv` in the plugin folder, a
# non-editable `pip install` of the folder, then `pip install -r requirements.txt` of that folder (the locked
# closure). Its tests start the plugin from there (tests/test_component_package.py).
PLUGIN_DIR := component_package
PLUGIN_VENV := $(PLUGIN_DIR)/venv
PLUGIN_LOCK := $(PLUGIN_DIR)/requirements.txt
PLUGIN_SOURCES := $(PLUGIN_DIR)/pyproject.toml $(PLUGIN_DIR)/__main__.py $(PLUGIN_LOCK) LICENSE \
	$(shell find component_package/provider components handlers contract \
		-type f -not -path '*/__pycache__/*')

# Every venv is built from a hash-locked closure (requirements/*.lock, policy/requirements.lock; `make lock`
# writes them). uv builds them: it comes hash-locked too, installed by pip into its own venv.
LOCKS := requirements
TOOLS_VENV := .venv-tools
UV := $(TOOLS_VENV)/bin/uv
# uv never downloads an interpreter: each venv uses the Python named here, as CI installs them.
export UV_PYTHON_DOWNLOADS := never
# `uv venv` on a Python; `sync` then installs exactly the lock (and removes anything else), refusing any
# package without a hash; sources (the project, airspeed-ext's sdist) build with the locked setuptools.
NEW_VENV := $(UV) venv --quiet --allow-existing
SYNC := $(UV) pip sync --quiet --require-hashes --build-constraints $(LOCKS)/build.lock --python

# Every recipe keeps Python's bytecode caches (git ignores __pycache__/), even where the environment turns them off
# (PYTHONDONTWRITEBYTECODE): without them each pytest worker compiles every module it imports and pytest rewrites
# every test module's asserts again on each run, about 12 of `make check`'s 75 CPU-seconds.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: setup test clean lock localstack-venv demo deploy-venv policy-venv plugin-venv usage-report-venv tools-venv

$(UV): $(LOCKS)/tools.lock
	test -x $(TOOLS_VENV)/bin/python || $(PYTHON) -m venv $(TOOLS_VENV)
	$(TOOLS_VENV)/bin/python -m pip install --quiet --require-hashes --no-deps -r $(LOCKS)/tools.lock
	touch $@

tools-venv: $(UV)

$(VENV)/.installed: $(LOCKS)/dev.lock $(LOCKS)/build.lock pyproject.toml $(UV)
	$(NEW_VENV) --python $(PYTHON) $(VENV)
	$(SYNC) $(PY) $(LOCKS)/dev.lock
	# The project itself, editable: its packages import by name from any entry point, no sys.path edits.
	$(UV) pip install --quiet --build-constraints $(LOCKS)/build.lock --python $(PY) --no-deps -e .
	touch $@

setup: $(VENV)/.installed

# A pyenv shim for a version that is installed but not selected fails; then ask pyenv for it.
$(LOCALSTACK_VENV)/.installed: $(LOCKS)/localstack.lock $(LOCKS)/build.lock $(UV)
	$(NEW_VENV) --python $(LOCALSTACK_PYTHON) $(LOCALSTACK_VENV) \
		|| PYENV_VERSION=$$(pyenv latest 3.13) $(NEW_VENV) --python $(LOCALSTACK_PYTHON) $(LOCALSTACK_VENV)
	$(SYNC) $(LOCALSTACK_VENV)/bin/python $(LOCKS)/localstack.lock
	touch $@

localstack-venv: $(LOCALSTACK_VENV)/.installed

$(DEPLOY_VENV)/.installed: $(LOCKS)/deploy.lock $(UV)
	$(NEW_VENV) --python $(PYTHON) $(DEPLOY_VENV)
	$(SYNC) $(DEPLOY_VENV)/bin/python $(LOCKS)/deploy.lock
	touch $@

deploy-venv: $(DEPLOY_VENV)/.installed

$(POLICY_VENV)/.installed: policy/requirements.lock $(UV)
	$(NEW_VENV) --python $(PYTHON) $(POLICY_VENV)
	$(SYNC) $(POLICY_VENV)/bin/python policy/requirements.lock
	touch $@

policy-venv: $(POLICY_VENV)/.installed

$(USAGE_REPORT_VENV)/.installed: $(LOCKS)/usage-report.lock $(UV)
	$(NEW_VENV) --python $(PYTHON) $(USAGE_REPORT_VENV)
	$(SYNC) $(USAGE_REPORT_VENV)/bin/python $(LOCKS)/usage-report.lock
	touch $@

usage-report-venv: $(USAGE_REPORT_VENV)/.installed

# Reinstalled whenever a shipped file changes: the installed copy is what the plugin runs. pip, not uv: this is
# what a consumer's `pulumi package add` does, and the lock's hashes make its second install exact.
$(PLUGIN_VENV)/.installed: $(PLUGIN_SOURCES)
	test -x $(PLUGIN_VENV)/bin/python || $(PYTHON) -m venv $(PLUGIN_VENV)
	$(PLUGIN_VENV)/bin/python -m pip install --quiet $(PLUGIN_DIR)/
	$(PLUGIN_VENV)/bin/python -m pip install --quiet -r $(PLUGIN_LOCK)
	touch $@

plugin-venv: $(PLUGIN_VENV)/.installed

# Rewrites every lock from its direct requirements, for the Python its venv runs, keeping the locked versions
# that still satisfy them; `make lock UPGRADE=--upgrade` takes the newest (.github/workflows/lock-refresh.yml).
# The locks of the 3.11 venvs are constrained by dev.lock: they install the versions the tests run. Each lock's
# header records the command that wrote it (tests/test_locks.py reads the inputs from there).
UPGRADE ?=
COMPILE = $(UV) pip compile --quiet --generate-hashes --python-platform linux $(UPGRADE)
lock: $(UV)
	$(COMPILE) --python-version 3.11 $(LOCKS)/tools.txt -o $(LOCKS)/tools.lock
	$(COMPILE) --python-version 3.11 $(LOCKS)/build.txt -o $(LOCKS)/build.lock
	$(COMPILE) --python-version 3.11 $(LOCKS)/dev.txt -o $(LOCKS)/dev.lock
	$(COMPILE) --python-version 3.11 -c $(LOCKS)/dev.lock requirements.txt $(LOCKS)/pulumi-host.txt \
		-o $(LOCKS)/deploy.lock
	$(COMPILE) --python-version 3.11 -c $(LOCKS)/dev.lock policy/requirements.txt $(LOCKS)/pulumi-host.txt \
		-o policy/requirements.lock
	$(COMPILE) --python-version 3.11 -c $(LOCKS)/dev.lock $(LOCKS)/usage-report.txt -o $(LOCKS)/usage-report.lock
	$(COMPILE) --python-version 3.11 -c $(LOCKS)/dev.lock $(PLUGIN_DIR)/pyproject.toml $(LOCKS)/pulumi-host.txt \
		-o $(PLUGIN_LOCK)
	$(COMPILE) --python-version 3.13 $(LOCKS)/localstack.txt -o $(LOCKS)/localstack.lock

test: setup localstack-venv plugin-venv deploy-venv policy-venv usage-report-venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(PY) -m pytest -n 2

# The inner loop, under a minute on two cores (40 s measured with mypy's cache from an earlier run, 77 s without;
# 72 CPU-seconds): every check of `make test` but the tests marked as needing LocalStack, Chromium, Java and Node, or
# the plugin's venv, and the slow ones (pyproject.toml lists the markers). `make test`'s pytest: 106 s measured.
.PHONY: check
check: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(PY) -m pytest -n 2 -m "not localstack and not browser and not jdk and not plugin and not slow"

# The whole pipeline offline on LocalStack; writes demo-output/ and stops all it started.
demo: setup localstack-venv
	$(PY) -m tooling.demo

clean:
	rm -rf $(VENV) $(LOCALSTACK_VENV) $(DEPLOY_VENV) $(POLICY_VENV) $(PLUGIN_VENV) $(USAGE_REPORT_VENV) \
		$(TOOLS_VENV) .pytest_cache .hypothesis
