# Two commands for a newcomer: `make demo` and `make test`. Each sets itself up.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export PYTHONHASHSEED := 0
export TZ := Asia/Ho_Chi_Minh

.PHONY: demo test dev lint fmt bench bench-national celery-worker celery-daemon clean venv system-deps screenshots

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PY) >/dev/null || { echo "Cần Python 3.11 ($(PY)) / Python 3.11 is required"; exit 1; }
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	@mkdir -p $(DAGSTER_HOME) && cp -f dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	@touch $(STAMP)

venv: $(STAMP)

# Debian's chromium for the browser tests (never a downloaded browser build); Tesseract with its
# Vietnamese model to read scanned evidence, and the DejaVu fonts the synthetic evidence is drawn with.
system-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "Cài chromium từ Debian / installing Debian's chromium"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  echo "Không cài được chromium / could not install chromium"; \
	fi
	@if [ ! -x /usr/bin/tesseract ] || [ ! -f /usr/share/tesseract-ocr/5/tessdata/vie.traineddata ] || \
	    [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf ]; then \
	  echo "Cài tesseract-ocr (tiếng Việt) và phông DejaVu từ Debian / installing Debian's Tesseract and fonts"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-vie \
	    fonts-dejavu-core >/dev/null) || \
	  echo "Không cài được tesseract-ocr / could not install tesseract-ocr"; \
	fi

demo: $(STAMP)
	$(BIN)/dti demo

test: $(STAMP) system-deps
	@bash scripts/ensure-services.sh
	$(BIN)/python -m pytest -q

# dagster dev keeps its webserver and daemon going for minutes after SIGTERM; the wrapper stops the whole
# process group on the first SIGINT or SIGTERM (make passes SIGTERM on to it).
dev: $(STAMP)
	exec $(BIN)/python scripts/stop_on_signal.py -- $(BIN)/dagster dev

# ruff's rules (PLC0415 keeps imports at module top) and the import contracts of pyproject.toml.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff check --fix .

# docs/img/report*.png from a fixed synthetic province (tests/web/test_report_screenshot.py keeps them current).
screenshots: $(STAMP) system-deps
	$(BIN)/python -m application.screenshots

bench: $(STAMP)
	$(BIN)/dti bench $(if $(SCALE),--scale $(SCALE),)

# 34 small province partitions for real through Celery (RabbitMQ, PostgreSQL): out/bench-national.json.
bench-national: $(STAMP)
	@bash scripts/ensure-services.sh
	$(BIN)/dti bench --scale N --provinces $(or $(PROVINCES),34)

# Celery with DTI_EXECUTOR=celery (docs/operations.md §8.1): DAGSTER_HOME must hold dagster.postgres.yaml.
celery-worker: $(STAMP)
	exec $(BIN)/dti ops celery worker $(if $(NAME),--name $(NAME),) $(if $(QUEUES),--queues $(QUEUES),)

celery-daemon: $(STAMP)
	exec $(BIN)/dti ops celery daemon

clean:
	rm -rf out data/*.db data/sim data/files .dagster_home
