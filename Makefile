# losslens: `make demo` writes the report to losslens-report/, `make test` runs every test (XCTest and pytest).
# Each target sets up what it needs: Debian packages, the .venv virtualenv, the Swift and C build.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SWIFT ?= $(shell command -v swift || echo /opt/swift/usr/bin/swift)

# Older OpenBLAS builds misbehave on this CPU without these; keep any value the machine sets.
export OPENBLAS_CORETYPE ?= Haswell
export OPENBLAS_L2_SIZE ?= 2097152
export PATH := /opt/swift/usr/bin:$(PATH)
# The Swift library needs glibc 2.34 (docs/packaging.md).
WHEEL_PLATFORM ?= manylinux_2_34_x86_64

.PHONY: setup build wheel demo test test-swift test-python test-asan bench clean

$(VENV)/.deps: python/requirements-dev.txt
	.ci/system-packages
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r python/requirements-dev.txt
	touch $@

setup: $(VENV)/.deps

# setuptools' build/ keeps modules that moved or were deleted; the Swift builds live in .build-release/.
build: setup
	rm -rf build
	$(PY) -m pip install -q --no-build-isolation --no-deps .

# The sdist, a wheel built from it, and that wheel repaired into a manylinux wheel with its OpenBLAS
# (wheelhouse/); docs/packaging.md.
wheel: setup
	$(PY) -m pip install -q -r python/requirements-wheel.txt
	rm -rf dist wheelhouse
	$(PY) -m build --no-isolation --outdir dist .
	PATH=$(abspath $(VENV))/bin:$$PATH auditwheel repair --plat $(WHEEL_PLATFORM) --wheel-dir wheelhouse dist/*.whl

demo: build
	$(VENV)/bin/losslens demo --out losslens-report

test-swift: setup
	$(SWIFT) test

test-python: build
	$(PY) -m pytest -c python/pyproject.toml python/tests

test: test-swift test-python

# Swift tests under AddressSanitizer, in their own build folder. XCTest itself leaks its test-case
# objects, so LeakSanitizer is off here; python/tests/test_leaks.py checks the boundary for leaks.
test-asan: setup
	ASAN_OPTIONS=detect_leaks=0 $(SWIFT) test --sanitize=address --scratch-path .build-asan

bench: build
	$(PY) -m pip install -q -r python/requirements-bench.txt
	$(PY) bench/run.py

clean:
	rm -rf .build .build-release build dist python/*.egg-info python/losslens/*.so python/losslens/_x86_64_v3 python/losslens/_build_info.py
