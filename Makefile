# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The main job: one QNN trained on one network (topologies/demo_star.yaml) by every family of strategy —
# one QPU, federated averaging, coherent split by telegates and by teleported qubits, circuit cutting with
# feed-forward, hybrid — and what each spent, side by side (scenarios/demo/).
DEMO_SCENARIOS ?= $(addprefix scenarios/demo/,$(addsuffix .yaml,single fedavg coherent_telegate coherent_teleport cut_feedforward hybrid))

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/qnet-dqnn compare $(DEMO_SCENARIOS)

# Two workers, one test file each at a time: module fixtures (the determinism records) run once.
test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

# ruff, then the layering contracts of docs/ARCHITECTURE.md (import-linter, configured in pyproject.toml).
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check qnet_dqnn tests benchmarks docs/experiments scenarios
	$(BIN)/ruff format --check qnet_dqnn tests benchmarks docs/experiments scenarios
	$(BIN)/lint-imports

# Peers live in their own virtualenvs, never in the project's dependencies.
PEERS := benchmarks/.venvs

$(PEERS)/sequence/bin/python:
	$(PYTHON) -m venv $(PEERS)/sequence
	$(PEERS)/sequence/bin/python -m pip install --quiet sequence

$(PEERS)/qunetsim/bin/python:
	$(PYTHON) -m venv $(PEERS)/qunetsim
	$(PEERS)/qunetsim/bin/python -m pip install --quiet qunetsim

$(PEERS)/qnn/bin/python:
	$(PYTHON) -m venv $(PEERS)/qnn
	$(PEERS)/qnn/bin/python -m pip install --quiet pennylane pennylane-lightning qiskit qiskit-aer

bench: $(VENV)/.installed-dev $(PEERS)/sequence/bin/python $(PEERS)/qunetsim/bin/python $(PEERS)/qnn/bin/python
	$(BIN)/python benchmarks/bench_link_generation.py
	$(BIN)/python benchmarks/bench_qunetsim.py
	$(BIN)/python benchmarks/bench_distribution.py
	$(BIN)/python benchmarks/bench_fedavg.py
	$(BIN)/python benchmarks/bench_scaling.py
	$(BIN)/python benchmarks/bench_qnn.py

clean:
	rm -rf $(VENV) results .pytest_cache

# Circuit cutting against qiskit-addon-cutting, which runs in its own virtualenv (issue 19).
.PHONY: bench-cutting
$(PEERS)/qiskit-addon-cutting/bin/python:
	$(PYTHON) -m venv $(PEERS)/qiskit-addon-cutting
	$(PEERS)/qiskit-addon-cutting/bin/python -m pip install --quiet qiskit-addon-cutting==0.10.0

bench-cutting: $(VENV)/.installed-dev $(PEERS)/qiskit-addon-cutting/bin/python
	$(BIN)/python benchmarks/bench_cutting.py
