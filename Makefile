# One entry point for everything. `make book` and `make test` work on a fresh machine:
# they create the virtual environment, install what is needed, and then do their job.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
# Browser assets (MathJax, RequireJS, widget runtime) from the npm registry, pinned by
# package-lock.json, copied into _build/vendor (published as _build/html/_static/).
NPM_STAMP := node_modules/.installed
VENDOR_STAMP := _build/vendor/.stamp
HTML := _build/html
CHROMIUM ?= /usr/bin/chromium
PORT ?= 8000

.PHONY: help setup git-filter book serve test browser lab clean exercises autograder bench \
	student-book notebooks

help:
	@echo "make book   - set up, then build the static site into $(HTML)"
	@echo "make serve  - serve the built site on http://127.0.0.1:$(PORT)/ (blocks; Ctrl-C stops)"
	@echo "make test   - set up, build the book, then run every test (browser tests included)"
	@echo "make lab    - set up, then open JupyterLab at the repository root (chapters/, exercises/)"
	@echo "make exercises  - regenerate exercises/ from the master notebooks in solutions/"
	@echo "make notebooks  - normalise the chapters (hidden prose code, plain Markdown, install cell)"
	@echo "make autograder - build the otter-grader bundles: dist/chN_exercises/autograder.zip"
	@echo "make student-book - the site without solutions (exercise pages restored afterwards)"
	@echo "make bench  - run the benchmarks (ratios against torch.nn measured in the same run)"

# The environment is rebuilt only when the requirements change.
$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip -q
	$(PY) -m pip install -r requirements.txt
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (GRU course)"
	touch $@

setup: $(STAMP) git-filter

# Reading never dirties the clone: nbstripout is git's clean filter for *.ipynb
# (.gitattributes, committed), so outputs, execution counts and the kernel's language details
# that JupyterLab saves never reach git (`git status` stays clean). This is
# `nbstripout --install` with the options the committed notebooks need (cell ids kept).
# Skipped outside a git clone, and in a linked worktree, whose config all worktrees share.
NBSTRIP_KEYS := metadata.language_info.codemirror_mode metadata.language_info.file_extension \
  metadata.language_info.mimetype metadata.language_info.nbconvert_exporter \
  metadata.language_info.pygments_lexer metadata.language_info.version
NBSTRIPOUT = "$(abspath $(PY))" -m nbstripout --keep-id --extra-keys "$(NBSTRIP_KEYS)"
git-filter:
	@if ! git rev-parse --git-dir >/dev/null 2>&1; then \
	  echo "git-filter: not a git clone, nothing to do"; \
	elif [ "$$(git rev-parse --absolute-git-dir)" != \
	       "$$(cd "$$(git rev-parse --git-common-dir)" && pwd -P)" ]; then \
	  echo "git-filter: a linked worktree (its git config is shared): not installed"; \
	else \
	  git config filter.nbstripout.clean '$(NBSTRIPOUT)' && \
	  git config filter.nbstripout.smudge cat && \
	  git config filter.nbstripout.required true && \
	  git config diff.ipynb.textconv '$(NBSTRIPOUT) -t' && \
	  echo "git-filter: nbstripout strips outputs from notebooks on git add / git status"; \
	fi

# `npm ci` installs exactly package-lock.json; --ignore-scripts: we only copy files.
$(NPM_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

$(VENDOR_STAMP): $(NPM_STAMP) $(STAMP) scripts/vendor_assets.py scripts/assets/widgets-setup.js
	$(PY) scripts/vendor_assets.py
	touch $@

# -W -n --keep-going: every warning (broken reference, failed notebook, CDN asset) fails the
# build, and all of them are reported in one run. Notebooks run through jupyter-cache
# (_build/.jupyter_cache): only notebooks whose code changed are executed again.
# jupyter-cache re-runs a notebook only when its code changes, but the chapters' outputs (demo
# frames, figures) also depend on utils/: a change there clears the cache and the doctrees
# (so that Sphinx reads every page again).
UTILS_STAMP := _build/.utils-stamp
$(UTILS_STAMP): $(shell find utils -name '*.py' 2>/dev/null)
	rm -rf _build/.jupyter_cache _build/.doctrees
	mkdir -p _build && touch $@

# The course wheel the site serves (landing page, exercise pages): a learner without a
# clone installs it (utils.site_config.wheel_name).
book: setup $(VENDOR_STAMP) $(UTILS_STAMP)
	$(PY) scripts/site_wheel.py _build/wheel
	GRU_DEMO_MODE=static $(BIN)/jupyter-book build -W -n --keep-going .
	@echo
	@echo "Book built in $(HTML). Open $(HTML)/index.html in a browser, or run"
	@echo "  make serve   # then visit http://127.0.0.1:$(PORT)/"

serve:
	@test -f $(HTML)/index.html || { echo "No $(HTML)/index.html: run 'make book' first"; exit 1; }
	$(PY) -m http.server $(PORT) --bind 127.0.0.1 --directory $(HTML)

# Headless Chromium for tests/test_browser.py: the Debian package, installed only when
# missing and when we are root. Otherwise the browser tests skip (and fail under CI=true).
browser:
	@if [ -x "$(CHROMIUM)" ]; then \
	  echo "browser: using $(CHROMIUM)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
	  echo "browser: $(CHROMIUM) missing and not root: browser tests will skip (fail if CI=true)"; \
	fi

# The book is built once here; GRU_BOOK_HTML tells tests/test_book.py and
# tests/test_browser.py to check this build instead of building again.
# pytest's exit status is make's: 5 ("no tests collected") fails too.
test: setup browser book
	GRU_BOOK_HTML="$(CURDIR)/$(HTML)" $(PY) -m pytest

# JupyterLab at the repository root, so that both chapters/ and exercises/ are in its file
# browser. Containers and many JupyterHubs run as root, which Jupyter refuses without
# --allow-root: the flag is added only then. tests/test_lab.py starts this command.
# The pre-save hook keeps saved chapters as committed (no outputs): utils/lab_save.py.
LAB_FLAGS := --ServerApp.root_dir="$(CURDIR)" \
  --ContentsManager.pre_save_hook=utils.lab_save.strip_outputs \
  $(if $(filter 0,$(shell id -u)),--allow-root,)
lab: setup
	$(BIN)/jupyter lab $(LAB_FLAGS)

clean:
	rm -rf _build

exercises: setup
	$(PY) scripts/exercises.py build

# Run again after editing or merging chapters (tests/test_notebooks_meta.py checks it).
notebooks: setup
	$(PY) scripts/notebooks.py normalise

autograder: setup  # bundles at dist/chN_exercises/autograder.zip (stable path for scripts)
	$(PY) scripts/exercises.py autograder

bench: setup
	$(PY) benchmarks/cells.py
	$(PY) benchmarks/widgets.py

# The site without solutions: the exercise pages are regenerated without them for the build,
# then restored (also when the build fails), so the committed files stay as they are.
student-book: setup
	GRU_COURSE_STUDENT_SITE=1 $(PY) scripts/exercises.py build
	$(MAKE) book; status=$$?; $(PY) scripts/exercises.py build; exit $$status
