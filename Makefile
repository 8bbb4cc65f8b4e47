# The one place that builds the plugin and the gateway: a Go plugin loads
# only into a host built by the same toolchain with the same flags, so both
# builds share GO, CGO_ENABLED and BUILDFLAGS here. No -trimpath: KrakenD CE
# is built without it, and a plugin built with it does not load there.
#
# The plugin is the root module (go.mod: no Lura). The gateway, cmd/gateway,
# is a module of its own: its go.mod requires Lura v2.14.1 (KrakenD CE 2.13).

GO          ?= go
BUILD       ?= build
PLUGIN      := $(BUILD)/krakend-rules.so
GATEWAY     := $(BUILD)/gateway
BUILDFLAGS  ?=
CONFIG      ?= examples/krakend.json
FUZZTIME    ?= 30s
# The Go release KrakenD CE 2.10.2 is built with ("krakend version" prints
# yours); make compat fetches it as a Go toolchain module.
KRAKEND_GO  ?= go1.24.5
export CGO_ENABLED := 1

.DEFAULT_GOAL := help
.PHONY: help build plugin gateway run test vet fmt unit e2e compat soak bench fuzz check loadtest clean

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

build: plugin gateway ## build the plugin .so and the demo gateway into build/

plugin: ## build build/krakend-rules.so (-buildmode=plugin)
	$(GO) build $(BUILDFLAGS) -buildmode=plugin -o $(PLUGIN) .

gateway: ## build build/gateway, the Lura-based demo and test host
	cd cmd/gateway && $(GO) build $(BUILDFLAGS) -o $(abspath $(GATEWAY)) .

run: build ## serve examples/krakend.json on :8080 (Ctrl-C stops it)
	$(GATEWAY) -c $(CONFIG) -d

test: vet fmt unit e2e ## vet, gofmt, unit tests with -race, end-to-end tests through the loaded plugin

vet:
	$(GO) vet ./...
	cd cmd/gateway && $(GO) vet ./...

fmt:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

unit:
	$(GO) test -race -count=1 $$($(GO) list ./... | grep -v /e2e)
	# Allocation bounds, without -race, whose instrumentation allocates on its own.
	$(GO) test -count=1 -run 'Memory' ./rules/

e2e: build ## end-to-end tests: the gateway loads the .so and serves real HTTP
	KRAKEND_RULES_PLUGIN=$(abspath $(PLUGIN)) KRAKEND_RULES_GATEWAY=$(abspath $(GATEWAY)) \
		$(GO) test -count=1 -timeout 10m ./e2e/...

compat: ## build with KRAKEND_GO (KrakenD CE 2.10's Go, go1.24.5) into build/KRAKEND_GO/ and run the e2e tests
	GOTOOLCHAIN=$(KRAKEND_GO) $(MAKE) --no-print-directory e2e BUILD=$(BUILD)/$(KRAKEND_GO)

SOAK ?= 2m
soak: build ## a SOAK-long (2m) mixed load through the gateway: statuses, body digests, RSS
	KRAKEND_RULES_SOAK=$(SOAK) KRAKEND_RULES_PLUGIN=$(abspath $(PLUGIN)) KRAKEND_RULES_GATEWAY=$(abspath $(GATEWAY)) \
		$(GO) test -count=1 -run '^TestSoak$$' -v -timeout 30m ./e2e/

bench: ## the engine's Go benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./rules/...

fuzz: ## run each fuzz test for FUZZTIME (default 30s)
	$(GO) test -run '^$$' -fuzz '^FuzzCompile$$' -fuzztime $(FUZZTIME) ./rules/
	$(GO) test -run '^$$' -fuzz '^FuzzMatch$$' -fuzztime $(FUZZTIME) ./rules/
	$(GO) test -run '^$$' -fuzz '^FuzzRender$$' -fuzztime $(FUZZTIME) ./rules/
	$(GO) test -run '^$$' -fuzz '^FuzzValidJSON$$' -fuzztime $(FUZZTIME) ./rules/
	$(GO) test -run '^$$' -fuzz '^FuzzGlob$$' -fuzztime $(FUZZTIME) ./rules/
	$(GO) test -run '^$$' -fuzz '^FuzzContent$$' -fuzztime $(FUZZTIME) ./lint/

check: plugin ## check CONFIG (default examples/krakend.json) with the linter; CHECKFLAGS=-strict fails on warnings
	$(GO) run ./cmd/krakend-rules check $(CHECKFLAGS) $(CONFIG)

LOADTEST ?=
loadtest: build ## the gateway-level load comparison (installs wrk, WireMock and Mockoon on first use); LOADTEST=-memory adds the RSS checks
	$(GO) run ./loadtest -buildflags '$(BUILDFLAGS)' -out $(BUILD)/loadtest/report.md $(LOADTEST)

clean: ## remove build/
	rm -rf $(BUILD)
