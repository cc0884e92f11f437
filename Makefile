.PHONY: run test bench bench-serve lint docs daily test-all-partitions test-spark
SCALE ?= sample
DOCS_PORT ?= 8080

run:        ## generate sample data if missing, dbt build, print a summary
	scripts/run.sh $(SCALE)

test:       ## lint + pytest + dbt build with all tests on tiny data
	scripts/test.sh

test-spark: ## the whole tiny build on local Spark with every data test, compared mart by mart with DuckDB, and incremental = full refresh on Spark (`make test` runs a subset)
	scripts/test_spark.sh

bench:      ## speed and memory at a scale: make bench SCALE=m
	scripts/bootstrap.sh && .venv/bin/tailor bench --scale $(SCALE)

docs:       ## dbt docs (overview with the layer map, lineage) on http://localhost:$(DOCS_PORT)
	scripts/bootstrap.sh
	DBT_PROFILES_DIR=$(CURDIR)/profiles .venv/bin/dbt docs generate --target-path target/docs
	DBT_PROFILES_DIR=$(CURDIR)/profiles .venv/bin/dbt docs serve --target-path target/docs --port $(DOCS_PORT)

daily:      ## the scheduled job: landing check, incremental build, publish, report (exit codes: scripts/daily.sh)
	scripts/daily.sh

bench-serve: ## serving latency, throughput and a publish swap under load, on the built warehouse: make bench-serve SCALE=m
	scripts/bootstrap.sh && .venv/bin/tailor bench-serve --scale $(SCALE)

lint:
	.venv/bin/ruff check src tests/python python_models
	.venv/bin/sqlfluff lint models macros snapshots tests/generic tests/singular --dialect duckdb

test-all-partitions:  ## the weekly whole-table data tests (daily runs test only the partitions they re-read)
	DBT_PROFILES_DIR=$${DBT_PROFILES_DIR:-profiles} .venv/bin/dbt test --target $${TAILOR_TARGET:-dev} --vars '{data_tests_scope: all}'
