# Thin conveniences; `go test ./...` is all anyone needs.
GO ?= go
CPU ?= 1,2,4

.PHONY: all fmt lint test race bench bench-peers bench-shm faults ci
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

# Long fault runs: the server SIGKILLed 40 times under a multi-process
# load per sync mode, and the log failpoint tests (the quick versions run
# in CI). Replay with -faulttest.seed=N.
faults:
	$(GO) test -race -count=1 -timeout 30m ./internal/faulttest -faulttest.long
	$(GO) test -race -count=1 -run 'TestLogFailure|TestPowerLoss|TestSnapshotFailure|TestGoodbyeIsDurable' ./server

# The server side by side with Redis, Python's manager and the loopback
# floor, in the peer kit (bench/README.md). Run it on a quiet machine.
PEERS ?= ../shared/peers
PEERS_OUT ?= results/ours-vs-peers-$(shell date +%Y%m%d-%H%M)
bench-peers:
	mkdir -p $(PEERS)/ours && cp bench/peers/ours/run.sh $(PEERS)/ours/run.sh
	cd $(PEERS) && LATCHKEY_SRC=$(CURDIR) ./run_all.sh -r 3 -d 3 -p split -o $(PEERS_OUT) floor python redis ours
	cd $(PEERS) && python3 tools/summarize.py --pivot $(PEERS_OUT) && python3 $(CURDIR)/bench/peers/ours/targets.py $(PEERS_OUT)

# Package shm's primitives and proc's Pool side by side with Python's
# multiprocessing (issue 5), in the peer kit (bench/README.md).
PEERS_SHM_OUT ?= results/shm-vs-mp-$(shell date +%Y%m%d-%H%M)
bench-shm:
	mkdir -p $(PEERS)/shm && cp bench/peers/shm/run.sh bench/peers/shm/mp_bench.py $(PEERS)/shm/
	cd $(PEERS) && LATCHKEY_SRC=$(CURDIR) ./run_all.sh -r 3 -d 3 -p split -o $(PEERS_SHM_OUT) shm
	cd $(PEERS) && python3 tools/summarize.py --pivot $(PEERS_SHM_OUT) && python3 $(CURDIR)/bench/peers/shm/targets.py $(PEERS_SHM_OUT)

ci:
	bash .ci/run
