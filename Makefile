# hotspot-gateway: `make test` installs what the suite needs on a fresh Debian machine and runs it.
SHELL := /bin/bash
PYTHON ?= /usr/bin/python3
VENV ?= .venv
PY := $(VENV)/bin/python
# nftables, conntrack, iproute2 and procps (sysctl) for the firewall and the namespace tests;
# openssl for throwaway test certificates; dnsmasq-base to check
# the DHCP config; chromium for the end-to-end browser test (driven by Playwright, no download).
DEB_PACKAGES := python3 python3-venv python3-dev gcc nftables conntrack iproute2 procps openssl \
	dnsmasq-base chromium
STAMP := $(VENV)/.installed

.PHONY: test lint typecheck unit deps venv demo bench clean

test: deps lint typecheck unit

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

lint: venv
	$(VENV)/bin/ruff check gateway filters tests bench
	$(VENV)/bin/ruff format --check gateway filters tests bench

typecheck: venv
	$(VENV)/bin/mypy

unit: venv
	$(VENV)/bin/pytest

demo:
	@echo "make demo arrives with the demo issue (#6); see README.md" >&2; exit 1

bench: deps
	$(PY) bench/blocklist_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
