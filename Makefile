# hoist — `make help` lists the targets. The two set-up commands are `make demo` and
# `make test`: on a fresh Debian machine they install what they need (see README.md).

SHELL := /bin/bash
.DEFAULT_GOAL := help

GO       ?= go
BIN      := $(CURDIR)/bin
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
GOLANGCI_LINT_VERSION := v2.15.0
GOLANGCI_LINT := $(BIN)/golangci-lint-$(GOLANGCI_LINT_VERSION)
# State of the long-lived environment of cluster-up/cluster-down and demo.
export HOIST_TESTENV_DIR ?= $(CURDIR)/.testenv
TESTENV  := $(BIN)/testenv
GOTEST_FLAGS ?= -count=1 -timeout=25m

.PHONY: help
help: ## show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: setup
setup: ## install Debian packages (docker-registry, git) and build the control plane (cached)
	@scripts/setup.sh
	@scripts/build-tools.sh

.PHONY: tools
tools: ## build etcd, kube-apiserver/-controller-manager/-scheduler and kwok (cached by version)
	@scripts/build-tools.sh

.PHONY: build
# A static binary, as Helm and kubectl release theirs: without cgo (and the `plugin`
# package kustomize imports, which makes the linker export every symbol) hoist maps
# about 17 MB less of its own file, and rendering a large chart peaks at about 55 MB
# of RSS instead of 80 MB. DNS and user lookups use Go's own resolvers.
build: ## build bin/hoist
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/hoist ./cmd/hoist

$(TESTENV): $(shell find pkg/testenv scripts/testenv -name '*.go' -not -name '*_test.go') go.mod go.sum
	$(GO) build -o $(TESTENV) ./scripts/testenv

.PHONY: test
test: setup build $(TESTENV) ## run every test: unit and end-to-end against a fresh local environment
	$(TESTENV) exec -- $(GO) test $(GOTEST_FLAGS) ./...

.PHONY: test-unit
test-unit: ## run unit tests only (end-to-end tests skip)
	env -u HOIST_TESTENV $(GO) test $(GOTEST_FLAGS) ./...

FUZZTIME ?= 10

.PHONY: fuzz
fuzz: ## run every fuzz target for FUZZTIME seconds each (default 10)
	GO=$(GO) scripts/fuzz.sh $(FUZZTIME)

.PHONY: test-e2e
test-e2e: setup build $(TESTENV) ## run end-to-end tests only, against a fresh local environment
	$(TESTENV) exec -- $(GO) test $(GOTEST_FLAGS) -run 'E2E' ./...

.PHONY: cluster-up
cluster-up: setup $(TESTENV) ## start the local environment and leave it running; prints export lines
	@$(TESTENV) up --dir $(HOIST_TESTENV_DIR)

.PHONY: cluster-down
cluster-down: $(TESTENV) ## stop the environment cluster-up started
	@$(TESTENV) down --dir $(HOIST_TESTENV_DIR)

.PHONY: demo
demo: setup build $(TESTENV) ## start the local environment and show hoist working against it
	@scripts/demo.sh

.PHONY: conformance
conformance: build ## render the Helm v4 conformance corpus (../shared/conformance) and compare byte for byte
	@if [ -x ../shared/conformance/run.sh ]; then ../shared/conformance/run.sh $(BIN)/hoist; \
	  else echo "conformance: ../shared/conformance not found (it lives beside the project): skipped"; fi

.PHONY: bench
bench: ## benchmarks: Go benchmarks, hoist vs helm over the corpus, kustomize overhead (release and diff benchmarks: scripts/bench-release.sh, scripts/bench-diff.sh on a running environment)
	$(GO) test -run '^$$' -bench . -benchmem ./pkg/...
	scripts/bench-template.sh
	scripts/bench-kustomize.sh

.PHONY: fmt
fmt: ## format the code
	gofmt -w $$(git ls-files '*.go')

$(GOLANGCI_LINT):
	GOBIN=$(BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	mv $(BIN)/golangci-lint $(GOLANGCI_LINT)

.PHONY: lint
lint: $(GOLANGCI_LINT) ## go vet and golangci-lint
	$(GO) vet ./...
	$(GOLANGCI_LINT) run ./...

.PHONY: verify
verify: lint ## check formatting, go.mod tidiness, lint, import rules and third_party/jsonschema (what CI checks besides tests)
	@scripts/jsonschema-patches.sh --check
	@scripts/check-imports.sh
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@cp go.mod /tmp/hoist-go.mod.bak && cp go.sum /tmp/hoist-go.sum.bak && $(GO) mod tidy && \
	  if ! git diff --quiet -- go.mod go.sum; then echo "go.mod/go.sum not tidy"; cp /tmp/hoist-go.mod.bak go.mod; cp /tmp/hoist-go.sum.bak go.sum; exit 1; fi

.PHONY: clean
clean: ## remove build output (not the cached control-plane binaries)
	rm -rf $(BIN)
