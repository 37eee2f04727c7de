# The README's two commands: `make run` (set up, build, demo county, server on 127.0.0.1:8080) and
# `make test` (every test).
DB ?= var/demo.sqlite
SEED ?= 1
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: run test bench setup build release clean

setup:
	@scripts/setup.sh

build: setup
	swift build

# Static Swift runtime: start-up 50 ms instead of 90 (dynamic symbol lookup), which matters for
# `wangge assign` in pipelines.
release: setup
	swift build -c release --static-swift-stdlib

# Chromium prints the monthly report's PDF; the CJK font gives it Chinese glyphs.
run: release
	@scripts/setup.sh chromium fonts-wqy-microhei
	@mkdir -p var
	@rm -f $(DB) $(DB)-wal $(DB)-shm
	.build/release/wangge demo --db $(DB) --seed $(SEED)
	@ogrinfo -ro -q $(DB)
	.build/release/wangge grids validate --db $(DB)
	@printf 'id,lon,lat\nseat,106.97,30.84\nhills,107.15,31.10\nchongqing,106.55,29.56\n' | .build/release/wangge assign --db $(DB)
	.build/release/wangge report --db $(DB) --month $$(TZ=Asia/Shanghai date -d "$$(TZ=Asia/Shanghai date +%Y-%m-01) -1 day" +%Y-%m) --out var/report.pdf
	@: > var/tokens.txt; chmod 600 var/tokens.txt
	@for r in dispatcher planner viewer open311; do \
	  printf '%s=%s\n' $$r "$$(.build/release/wangge token create --db $(DB) --role $$r --name "demo $$r" | tail -1)" >> var/tokens.txt; done
	@echo "demo tokens (one per role; open311 is the api_key of /open311/v2) in var/tokens.txt:"; cat var/tokens.txt
	.build/release/wangge qr --db $(DB) --all --out var/codes --base-url http://$(HOST):$(PORT)
	@echo "residents report at http://$(HOST):$(PORT)/report (the codes in var/codes open it with their unit)"
	exec .build/release/wangge serve --db $(DB) --host $(HOST) --port $(PORT)

# The map page's tests drive headless Chromium; the CJK font lets its screenshots show Chinese;
# python3-jsonschema checks the server's answers against its OpenAPI document; python3-qgis is
# QGIS 3.22 loading layers with Basic credentials; PostgreSQL 15 and PostGIS 3 run every store,
# dispatch and server test a second time, on a throwaway cluster. The test venv holds the oracles
# and clients from PyPI that Tests/Fixtures/requirements.txt lists (remade when that file changes).
test:
	@scripts/setup.sh chromium chromium-driver fonts-wqy-microhei python3-jsonschema python3-qgis python3-venv postgresql-15 postgresql-15-postgis-3 zbar-tools
	@$(MAKE) --no-print-directory .build/venv-test/.installed
	swift build
	swift test --disable-xctest

.build/venv-test/.installed: Tests/Fixtures/requirements.txt
	@test -x .build/venv-test/bin/python || /usr/bin/python3 -m venv .build/venv-test
	.build/venv-test/bin/pip install -q -r Tests/Fixtures/requirements.txt
	@touch $@

bench:
	@scripts/setup.sh time bc postgresql-15 postgresql-15-postgis-3
	bench/run.sh

clean:
	rm -rf .build var bench/out
