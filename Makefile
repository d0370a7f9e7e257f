# Baton: `make run` starts a kernel on its embedded defaults; `make test` runs
# every test. Both install what is missing first.
SHELL := /bin/bash
NODE_MODULES_STAMP := node_modules/.baton-installed
BUILD_STAMP := dist/.baton-built
SOURCES := $(shell find api internal cmd test/bench test/support proto -type f \( -name '*.ts' -o -name '*.proto' \) 2>/dev/null)

.PHONY: all run test test-unit typecheck lint build bench demo deps system-deps clean

all: build

$(NODE_MODULES_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: $(NODE_MODULES_STAMP)

$(BUILD_STAMP): $(NODE_MODULES_STAMP) $(SOURCES) tsconfig.json tsconfig.build.json
	rm -rf dist
	npx tsc -p tsconfig.build.json
	@touch $@

build: $(BUILD_STAMP)

run: build
	node dist/cmd/baton.js serve

# System packages the integration tests use (Debian's python3 grpcio/websockets, protoc, ...).
system-deps:
	bash scripts/setup-test-deps.sh

typecheck: deps
	npx tsc -p tsconfig.json --noEmit

lint: deps system-deps
	node tools/lint-protos.mjs
	protoc --proto_path=proto --descriptor_set_out=/dev/null proto/baton/v1/*.proto
	node tools/gen-protos.mjs --check

test: deps system-deps typecheck lint build
	npx vitest run

bench: build
	node dist/test/bench/run.js

# MEDIA_STREAMS=1: the demo calls /v1/media-streams as a Twilio-style telephony gateway.
demo: build
	node dist/cmd/baton.js demo $(if $(filter 1 yes true,$(MEDIA_STREAMS)),--media-streams)

clean:
	rm -rf dist
