# hotspot-gateway: `make test` installs what the suite needs on a fresh Debian machine and runs it.
SHELL := /bin/bash
PYTHON ?= /usr/bin/python3
VENV ?= .venv
PY := $(VENV)/bin/python
# nftables, conntrack, iproute2 and procps (sysctl) for the firewall and the namespace tests;
# openssl for throwaway test certificates; dnsmasq-base to check
# the DHCP config; chromium for the end-to-end browser test (driven by Playwright, no download).
# shellcheck and systemd (systemd-analyze) check the installer and its units; prometheus
# (promtool) the fleet's scrape config and alert rules.
DEB_PACKAGES := python3 python3-venv python3-dev gcc nftables conntrack iproute2 procps openssl \
	shellcheck systemd prometheus \
	dnsmasq-base chromium
STAMP := $(VENV)/.installed
# Wheels of the program's dependencies, so the installer's test installs without PyPI.
WHEELHOUSE ?= .wheelhouse
WHEEL_STAMP := $(WHEELHOUSE)/.built
# ansible-core and ansible-lint check the fleet playbook; their own venv, because their
# dependencies (cryptography, ruamel.yaml) are newer than mitmproxy allows.
ANSIBLE_VENV ?= .venv-ansible
ANSIBLE_STAMP := $(ANSIBLE_VENV)/.installed
# Python 3.12+ installs mitmproxy 12 instead of 11: the proxy's tests run on it too, when the
# machine has one that runs (pyenv's, or python3.12 or 3.13 on PATH).
PYTHON_NEXT ?= $(shell for p in $$HOME/.pyenv/versions/3.12*/bin/python python3.12 python3.13; do "$$p" -c 'import sys; assert sys.version_info >= (3, 12)' >/dev/null 2>&1 && { command -v "$$p"; break; }; done)
VENV_NEXT ?= .venv-next

.PHONY: test lint typecheck unit compat deps venv wheelhouse ansible-tools dist demo bench clean

test: deps lint typecheck unit compat

# Debian packages first: only the missing ones, so a prepared machine does not wait on apt.
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	@$(MAKE) --no-print-directory venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

ansible-tools: $(ANSIBLE_STAMP)

$(ANSIBLE_STAMP):
	$(PYTHON) -m venv $(ANSIBLE_VENV)
	$(ANSIBLE_VENV)/bin/python -m pip install -q "ansible-core>=2.16,<2.20" "ansible-lint>=24.2,<27"
	touch $@

# The release archive the Ansible role copies to each gateway: the checked-out commit.
dist:
	mkdir -p dist
	git archive --format=tar.gz -o dist/hotspot-gateway.tar.gz HEAD

wheelhouse: $(WHEEL_STAMP)

$(WHEEL_STAMP): pyproject.toml | venv
	$(PY) -m pip wheel -q -w $(WHEELHOUSE) . "setuptools>=74.1" wheel
	touch $@

lint: venv
	$(VENV)/bin/ruff check gateway filters tests bench
	$(VENV)/bin/ruff format --check gateway filters tests bench

typecheck: venv
	$(VENV)/bin/mypy

unit: venv wheelhouse ansible-tools
	$(VENV)/bin/pytest

compat: venv
	@if [ -z "$(PYTHON_NEXT)" ]; then \
		echo "compat: no Python 3.12 on this machine; mitmproxy 12 left untested" >&2; exit 0; fi; \
	set -e; \
	[ -x $(VENV_NEXT)/bin/python ] || $(PYTHON_NEXT) -m venv $(VENV_NEXT); \
	$(VENV_NEXT)/bin/python -m pip install -q --upgrade pip; \
	$(VENV_NEXT)/bin/python -m pip install -q -e '.[test]'; \
	echo "compat: $$($(VENV_NEXT)/bin/python --version), mitmproxy $$($(VENV_NEXT)/bin/python -c 'import mitmproxy.version as v; print(v.VERSION)')"; \
	$(VENV_NEXT)/bin/mypy; \
	$(VENV_NEXT)/bin/pytest -q -p no:cacheprovider tests/filters tests/e2e/test_proxy.py tests/gateway/test_run.py

# The simulated hotspot needs root (namespaces, nftables) and, to try it by hand, curl.
demo: DEB_PACKAGES += curl
demo: deps
	$(VENV)/bin/hotspot-gateway demo

bench: deps
	$(PY) bench/blocklist_bench.py

clean:
	rm -rf $(VENV) $(VENV_NEXT) $(ANSIBLE_VENV) $(WHEELHOUSE) dist .pytest_cache .mypy_cache .ruff_cache *.egg-info
