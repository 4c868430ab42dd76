# Two jobs for a new user; each creates .venv on first use (Python 3.11 or 3.12, from PyPI only).
PYTHON ?= python3
VENV   := .venv
CLIP   ?= ../shared/sample_videos/run01_treadmill_side_gym_60fps_portrait.mp4
OUT    ?= demo_output/$(basename $(notdir $(CLIP))).formcheck

.PHONY: demo test

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e ".[test]"
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/formcheck analyze "$(CLIP)" -o "$(OUT)"

test: $(VENV)/.installed
	$(VENV)/bin/python -m pytest
