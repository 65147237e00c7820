# loanflow: build, lint, test, synth. `make test` is the command README and CI run.
SHELL := /bin/bash
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
FUNCTIONS := valuation-request valuation-callback valuation-service-api valuation-service-callback
# A count, not a duration: a duration-based -fuzztime can end in a spurious
# "context deadline exceeded" failure with no crasher (golang/go#75804, fixed in Go 1.27).
FUZZTIME ?= 30000x

.PHONY: all build lambdas lint test test-short fuzz synth demo up bench clean

all: lint test

build:
	go build -o bin/loanflow ./cmd/loanflow

# Static arm64 bootstraps, as Lambda runs them (provided.al2023).
lambdas:
	@for f in $(FUNCTIONS); do \
	  GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags='-s -w' -o dist/$$f/bootstrap ./consumers/functions/$$f || exit 1; \
	  ls -l dist/$$f/bootstrap; \
	done

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...

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
