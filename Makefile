# Thin conveniences; `go test ./...` is all anyone needs.
GO ?= go
CPU ?= 1,2,4

.PHONY: all fmt lint test race bench ci
all: lint test

fmt:
	gofmt -w $$(git ls-files '*.go')

lint:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)

test:
	$(GO) test -race ./...

# The conformance suite and hammer tests under several GOMAXPROCS values.
race:
	$(GO) test -race -count=1 -cpu $(CPU) ./...

# In-process benchmarks against sync, x/sync/semaphore and channels.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 3 -cpu 1,2 ./local

ci:
	bash .ci/run
