# The one place that builds the plugin and the gateway: a Go plugin loads
# only into a host built by the same toolchain with the same flags and C
# library, so both builds share GO, CGO_ENABLED, CC and BUILDFLAGS here. No
# -trimpath: KrakenD CE is built without it, and a plugin built with it does
# not load there.
#
# The plugin is the root module (go.mod: no Lura). The gateway, cmd/gateway,
# is a module of its own: its go.mod requires Lura v2.14.1 (KrakenD CE
# 2.13), and GATEWAY_MODFILE (compat/ce-<release>.mod) builds the same
# source against the Lura of an older release.

GO          ?= go
BUILD       ?= build
PLUGIN      := $(BUILD)/krakend-rules.so
GATEWAY     := $(BUILD)/gateway
BUILDFLAGS  ?=
CONFIG      ?= examples/krakend.json
FUZZTIME    ?= 30s
GATEWAY_MODFILE ?=
export CGO_ENABLED := 1

# The release matrix of make compat: a cell is a KrakenD CE release and a C
# library, "2.12.1-musl". Each release names the exact Go release KrakenD CE
# is built with ("krakend version" prints yours; fetched as a Go toolchain
# module on first use), the Lura it links and the gateway's go.mod for that
# Lura (none: cmd/gateway/go.mod). CE 2.13.8 links a Lura pre-release
# (v2.14.2) that the module proxy does not serve: its cells link v2.14.1,
# CE 2.13.2's, the same client-plugin loader and executor.
COMPAT_RELEASES := 2.10.2 2.12.1 2.13.8
go_2.10.2   := go1.24.5
lura_2.10.2 := v2.10.0
mod_2.10.2  := compat/ce-2.10.2.mod
go_2.12.1   := go1.25.6
lura_2.12.1 := v2.12.1
mod_2.12.1  := compat/ce-2.12.1.mod
go_2.13.8   := go1.25.12
lura_2.13.8 := v2.14.1
mod_2.13.8  :=
# glibc: KrakenD's .deb/.rpm/tar.gz builds (krakend/builder:<version>-linux-generic);
# musl: KrakenD's Alpine Docker image (krakend/builder:<version>).
cc_glibc    := gcc
cc_musl     := musl-gcc
CELLS       := $(foreach r,$(COMPAT_RELEASES),$(r)-glibc $(r)-musl)
CELL        ?= $(CELLS)
REL          = $(firstword $(subst -, ,$(C)))
LIBC         = $(lastword $(subst -, ,$(C)))

.DEFAULT_GOAL := help
.PHONY: help build plugin gateway linter run test vet fmt unit e2e compat compat-cell soak bench fuzz check loadtest clean

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

build: plugin gateway ## build the plugin .so and the demo gateway into build/

plugin: ## build build/krakend-rules.so (-buildmode=plugin)
	@echo "building $(PLUGIN) with $$($(GO) env GOVERSION), CGO_ENABLED=$(CGO_ENABLED) $(BUILDFLAGS) (a minute or so on a cold build cache)"
	$(GO) build $(BUILDFLAGS) -buildmode=plugin -o $(PLUGIN) .

gateway: ## build build/gateway, the Lura-based demo and test host
	@echo "building $(GATEWAY), the demo gateway, with the same Go and flags as the plugin"
	cd cmd/gateway && $(GO) build $(BUILDFLAGS) $(if $(GATEWAY_MODFILE),-modfile=$(abspath $(GATEWAY_MODFILE))) -o $(abspath $(GATEWAY)) .

linter: ## build build/krakend-rules, the linter (krakend-rules check), as a binary with its real exit statuses
	$(GO) build -o $(BUILD)/krakend-rules ./cmd/krakend-rules

# The examples' own backends are the gateway itself (127.0.0.1:8080): on
# another PORT they follow, in a copy of CONFIG under build/.
PORT        ?= 8080
run: build ## serve CONFIG (examples/krakend.json) on 127.0.0.1:PORT (8080; make run PORT=9090); Ctrl-C stops it
	@sed 's/127\.0\.0\.1:8080/127.0.0.1:$(PORT)/g' $(CONFIG) > $(BUILD)/run.json
	$(GATEWAY) -c $(BUILD)/run.json -d -p $(PORT)

test: vet fmt unit e2e ## vet, gofmt, unit tests with -race, end-to-end tests through the loaded plugin

vet:
	$(GO) vet ./...
	cd cmd/gateway && $(GO) vet ./...

fmt:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

unit:
	@command -v redis-server >/dev/null || echo "note: redis-server not found: the tests against a real Redis store are skipped (Debian: apt-get install redis-server; .ci/run installs it)"
	$(GO) test -race -count=1 $$($(GO) list ./... | grep -v /e2e)
	# Allocation bounds, without -race, whose instrumentation allocates on its own.
	$(GO) test -count=1 -run 'Memory' ./rules/

e2e: build ## end-to-end tests: the gateway loads the .so and serves real HTTP
	KRAKEND_RULES_PLUGIN=$(abspath $(PLUGIN)) KRAKEND_RULES_GATEWAY=$(abspath $(GATEWAY)) \
		$(GO) test -count=1 -timeout 10m ./e2e/...

compat: ## each KrakenD CE release x glibc/musl: build into build/<cell>/, run the e2e tests; CELL=2.12.1-musl runs one
	@for c in $(CELL); do case " $(CELLS) " in *" $$c "*) ;; *) echo "compat: unknown cell $$c; cells: $(CELLS)"; exit 2;; esac; done
	@mkdir -p $(BUILD); summary=; failed=0; \
	for c in $(CELL); do \
		start=$$(date +%s); \
		if $(MAKE) --no-print-directory compat-cell C=$$c; then r=passed; else r=FAILED; failed=1; fi; \
		summary="$$summary$$(printf '%-14s %s in %ss' $$c $$r $$(( $$(date +%s) - start )))\n"; \
	done; \
	printf "compat:\n$$summary"; exit $$failed

# One cell of the matrix (make compat C=2.12.1-musl): plugin and gateway built
# by the release's Go with the C library's compiler, checked to be what the
# cell says, then the end-to-end tests (a test binary built by $(GO), which
# only runs them) through them.
compat-cell:
	@command -v $(cc_$(LIBC)) >/dev/null || { echo "compat: $(C) needs $(cc_$(LIBC)) (Debian: apt-get install musl-tools)"; exit 1; }
	GOTOOLCHAIN=$(go_$(REL)) CC=$(cc_$(LIBC)) $(MAKE) --no-print-directory build BUILD=$(BUILD)/$(C) GATEWAY_MODFILE=$(mod_$(REL))
	GO=$(GO) compat/check-cell $(BUILD)/$(C) $(go_$(REL)) $(lura_$(REL)) $(LIBC)
	@# check-plugin must accept the cell's .so for its release and C library;
	@# the e2e tests below then prove that it does load there.
	$(GO) run ./cmd/krakend-rules check-plugin -krakend $(REL) -libc $(LIBC) $(BUILD)/$(C)/krakend-rules.so
	KRAKEND_RULES_PLUGIN=$(abspath $(BUILD)/$(C)/krakend-rules.so) KRAKEND_RULES_GATEWAY=$(abspath $(BUILD)/$(C)/gateway) \
		$(GO) test -count=1 -timeout 10m ./e2e/...

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
	$(GO) test -run '^$$' -fuzz '^FuzzXPath$$' -fuzztime $(FUZZTIME) ./rules/
	$(GO) test -run '^$$' -fuzz '^FuzzXMLScan$$' -fuzztime $(FUZZTIME) ./rules/
	$(GO) test -run '^$$' -fuzz '^FuzzComparison$$' -fuzztime $(FUZZTIME) ./rules/
	$(GO) test -run '^$$' -fuzz '^FuzzParseTime$$' -fuzztime $(FUZZTIME) ./rules/
	$(GO) test -run '^$$' -fuzz '^FuzzBodies$$' -fuzztime $(FUZZTIME) ./rules/
	$(GO) test -run '^$$' -fuzz '^FuzzStaticMerge$$' -fuzztime $(FUZZTIME) ./rules/
	$(GO) test -run '^$$' -fuzz '^FuzzHelpers$$' -fuzztime $(FUZZTIME) ./rules/
	$(GO) test -run '^$$' -fuzz '^FuzzCRUD$$' -fuzztime $(FUZZTIME) ./rules/
	$(GO) test -run '^$$' -fuzz '^FuzzLiteralGlob$$' -fuzztime $(FUZZTIME) ./rules/
	$(GO) test -run '^$$' -fuzz '^FuzzRecordFile$$' -fuzztime $(FUZZTIME) ./rules/
	$(GO) test -run '^$$' -fuzz '^FuzzContent$$' -fuzztime $(FUZZTIME) ./lint/
	$(GO) test -run '^$$' -fuzz '^FuzzCallbackURL$$' -fuzztime $(FUZZTIME) ./rules/
	$(GO) test -run '^$$' -fuzz '^FuzzHostPattern$$' -fuzztime $(FUZZTIME) ./config/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeRulesFile$$' -fuzztime $(FUZZTIME) ./config/
	$(GO) test -run '^$$' -fuzz '^FuzzPathPattern$$' -fuzztime $(FUZZTIME) ./cmd/krakend-rules/
	$(GO) test -run '^$$' -fuzz '^FuzzImportOpenAPI$$' -fuzztime $(FUZZTIME) ./cmd/krakend-rules/

check: plugin ## check CONFIG (default examples/krakend.json) with the linter; CHECKFLAGS=-strict fails on warnings
	$(GO) run ./cmd/krakend-rules check $(CHECKFLAGS) $(CONFIG)

LOADTEST ?=
loadtest: build ## the gateway-level load comparison (installs wrk, WireMock and Mockoon on first use; the Redis rows need redis-server); LOADTEST=-memory adds the RSS checks
	$(GO) run ./loadtest -buildflags '$(BUILDFLAGS)' -out $(BUILD)/loadtest/report.md $(LOADTEST)

clean: ## remove build/
	rm -rf $(BUILD)
