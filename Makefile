# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
## Loopback by default (see SECURITY.md); `make run ADDRESS=0.0.0.0` serves the network.
ADDRESS ?= 127.0.0.1

.PHONY: run test demo bench clean serve

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

## Build the demo dataset group and its trained model if they are missing.
demo: $(VENV)/.installed
	$(PY) -m scoring.demo

## Start the console on the local demo campaign (no AWS account needed).
run: demo
	$(PY) -m streamlit run app.py --server.address $(ADDRESS) --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false --client.toolbarMode viewer

## Serve the demo campaigns over Personalize's own HTTP APIs, so unmodified boto3 code runs
## against them (AWS_ENDPOINT_URL_PERSONALIZE_RUNTIME, _PERSONALIZE and _PERSONALIZE_EVENTS
## = http://127.0.0.1:8080, see README).
serve: demo
	$(PY) -m scoring.server --host 127.0.0.1 --port 8080

## Install the dev requirements and run every test, browser tests included: unit, contract and
## AppTest tests on every core (pytest-xdist, longest first as they free up) and, beside them, the
## browser tests on E2E_WORKERS workers of their own (each drives its own Streamlit server and
## Chromium, and mostly waits on them). The browser run's output follows the other's, from
## test-artifacts/e2e-run.log. One OpenBLAS thread per process: the processes fill the cores.
## Bytecode is written even where PYTHONDONTWRITEBYTECODE is set (it is gitignored): every worker
## and subprocess would otherwise compile the project and rewrite the tests' asserts again (3.4 s of
## CPU per worker). A collection pass beside the demo build, on the core it leaves idle, writes it.
WORKERS ?= auto
E2E_WORKERS ?= 2
test: export OPENBLAS_NUM_THREADS ?= 1
test: export PYTHONDONTWRITEBYTECODE =
test: $(VENV)/.dev-installed
	@mkdir -p test-artifacts
	@$(PY) -m pytest --collect-only -q >test-artifacts/collect.log 2>&1 & \
	collect=$$!; \
	$(PY) -m scoring.demo; demo=$$?; \
	wait $$collect || { cat test-artifacts/collect.log; exit 1; }; \
	test $$demo -eq 0
	@$(PY) -m pytest -m e2e -n $(E2E_WORKERS) --dist worksteal tests/e2e >test-artifacts/e2e-run.log 2>&1 & \
	browser=$$!; \
	$(PY) -m pytest -n $(WORKERS) --dist worksteal -m "not e2e"; unit=$$?; \
	wait $$browser; e2e=$$?; \
	echo "---- browser tests (ran beside the above; test-artifacts/e2e-run.log) ----"; \
	cat test-artifacts/e2e-run.log; \
	test $$unit -eq 0 -a $$e2e -eq 0

$(VENV)/.bench-installed: requirements-bench.txt $(VENV)/.dev-installed
	$(PY) -m pip install --quiet -r requirements-bench.txt
	touch $@

## Print speed figures and ratios (not a test).
bench: $(VENV)/.bench-installed demo
	$(PY) bench/scoring.py
	$(PY) bench/events.py
	$(PY) bench/first_table.py
	$(PY) bench/endpoint.py --processes 2
	$(PY) bench/health.py
	$(PY) bench/live_data.py
	$(PY) bench/training.py
	$(PY) bench/importing.py

clean:
	rm -rf $(VENV) data .pytest_cache .hypothesis test-artifacts
