# Two commands do all the set-up on a fresh machine with Python 3.10+ and make:
#   make run    create .venv the first time, install, open the app on a bundled sample
#   make test   create .venv with the test extra, lint (ruff, import contracts), run the suite
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python

.PHONY: run test lint bench screenshots clean

$(VENV)/.installed-run: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(PY) -m gmm_gui $(ARGS)

# ruff, then the layer contracts of pyproject.toml's [tool.importlinter] (issue #10)
lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-logo

test: lint
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-test
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/run_all.py

# The README's pictures, made by the app itself from the bundled samples.
SAMPLES_DIR = gmm_gui/resources/samples
# The GIF needs Pillow, the optional extra "record" (the test extra has it too).
$(VENV)/.installed-record: $(VENV)/.installed-run
	$(PY) -c "import PIL" 2>/dev/null || $(PY) -m pip install --quiet -e '.[record]'
	touch $@

screenshots: $(VENV)/.installed-record
	QT_QPA_PLATFORM=offscreen $(PY) -m gmm_gui --steps 3 --screenshot docs/screenshot-faithful.png
	QT_QPA_PLATFORM=offscreen $(PY) -m gmm_gui $(SAMPLES_DIR)/Davis.csv --columns height \
		--steps 3 --screenshot docs/screenshot-davis.png
	# PRML figure 9.8's six panels, from a start with both means in the upper cluster
	QT_QPA_PLATFORM=offscreen $(PY) -m gmm_gui --start-method random_from_data --seed 4 \
		--small-multiples docs/small-multiples-faithful.png
	QT_QPA_PLATFORM=offscreen $(PY) -m gmm_gui $(SAMPLES_DIR)/Davis.csv --columns height \
		--steps 6 --record docs/davis-em.gif
	# the three-in-2d scene until EM converges (iteration 26), one frame per half-step: the
	# points' colours blend, then separate as the contours move out to the clusters
	QT_QPA_PLATFORM=offscreen $(PY) -m gmm_gui --scene three-in-2d --steps 30 --glide 0 \
		--record docs/scene-three-in-2d.gif

clean:
	rm -rf $(VENV) build dist *.egg-info
