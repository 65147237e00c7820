# loanflow: build, lint, test, synth. `make test` is the command README and CI run.
SHELL := /bin/bash
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
FUNCTIONS := valuation-request valuation-callback valuation-service-api valuation-service-callback
# A count, not a duration: a duration-based -fuzztime can end in a spurious
# "context deadline exceeded" failure with no crasher (golang/go#75804, fixed in Go 1.27).
FUZZTIME ?= 30000x
# golangci-lint, pinned; installed into tools/bin (git-ignored) by lint-tools.
# It is rebuilt when the pin or the Go toolchain changes: a linter built with
# an older Go cannot load code written for a newer one.
GOLANGCI_LINT_VERSION := v2.15.0
GOLANGCI_LINT := tools/bin/golangci-lint
# Extra flags for golangci-lint run, e.g. GOLANGCI_LINT_FLAGS=--concurrency=1.
GOLANGCI_LINT_FLAGS ?=

.PHONY: all build lambdas lint lint-tools test test-short fuzz synth demo up bench clean

all: lint test

build:
	go build -o bin/loanflow ./cmd/loanflow

# Static arm64 bootstraps, as Lambda runs them (provided.al2023).
lambdas:
	@for f in $(FUNCTIONS); do \
	  GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags='-s -w' -o dist/$$f/bootstrap ./consumers/functions/$$f || exit 1; \
	  ls -l dist/$$f/bootstrap; \
	done

# gofmt, go vet, golangci-lint with .golangci.yml, and a tidy go.mod.
lint: lint-tools
	@files=$$(git ls-files --cached --others --exclude-standard '*.go' | while read -r f; do [ ! -f "$$f" ] || echo "$$f"; done); \
	out=$$(gofmt -l $$files) || exit 1; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...
	$(GOLANGCI_LINT) run $(GOLANGCI_LINT_FLAGS) ./...
	go mod tidy -diff

# Installs the pinned golangci-lint unless tools/bin already has it, built by
# this Go. tools/go.mod keeps tools/ (node_modules ship Go templates) out of
# the main module.
lint-tools:
	@mkdir -p tools/bin; [ -f tools/go.mod ] || printf 'module loanflow/tools\n' > tools/go.mod
	@want="$$(go env GOVERSION) $(GOLANGCI_LINT_VERSION)"; \
	have="$$(go version -m $(GOLANGCI_LINT) 2>/dev/null | awk 'NR==1 {g=$$2} $$1=="mod" && $$2=="github.com/golangci/golangci-lint/v2" {v=$$3} END {if (v != "") print g, v}')"; \
	if [ "$$have" != "$$want" ]; then \
	  echo "installing golangci-lint $(GOLANGCI_LINT_VERSION) into tools/bin (have: $${have:-none})"; \
	  GOBIN=$(CURDIR)/tools/bin go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION); \
	fi

# The whole suite: lint, unit, conformance, CDK assertions, end-to-end scenarios
# on the local stack, the templates held to a local run (test/template: IAM and
# parity) and the cloud suite run against a local stack (test/cloudlocal), race
# detector on the concurrent packages, and a short fuzz pass.
test: lint
	go test -count=1 -timeout 40m ./...
	go test -count=1 -timeout 40m -race ./consumers/... ./infra/local/...
	$(MAKE) fuzz

fuzz:
	@set -e; for pkg in $$(go list ./...); do \
	  for fz in $$(go test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$fz ($(FUZZTIME))"; \
	    log=$$(mktemp); go test -run '^$$' -fuzz "^$$fz$$" -fuzztime $(FUZZTIME) $$pkg >$$log 2>&1 || { cat $$log; exit 1; }; rm -f $$log; \
	  done; \
	done

synth:
	tools/node_modules/.bin/cdk synth -q -c mockValuationService=true

demo:
	go run ./cmd/loanflow demo

up:
	go run ./cmd/loanflow up

bench:
	go run ./cmd/loanflow bench

clean:
	rm -rf bin dist cdk.out .loanflow
