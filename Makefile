# runnerctl — see README.md.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
# Every GOOS/GOARCH we ship.
TARGETS := linux/amd64 linux/arm64 linux/arm darwin/amd64 darwin/arm64 windows/amd64 windows/arm64

.PHONY: build test test-race lint cross clean demo nspawn-rootfs cloudinit-rootfs fuzz fleet-sim fleet-sim-1000 fleet-sim-primary

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o runnerctl .

test:
	$(GO) test -count=1 ./...

# The same under the race detector (CI runs this instead of test).
test-race:
	$(GO) test -race -count=1 ./...

# Each fuzz target for FUZZTIME, one after another (package:target).
# A failing input is written to the package's testdata/fuzz/TARGET/ and
# fails the run. Go 1.26 can fail a duration-bound run with a bare
# "context deadline exceeded" as the time runs out, with no failing
# input (golang/go#75804, fixed in Go 1.27): that is reported, not
# failed. Minimizing each new interesting input is capped (200 runs) so
# that the slow targets (files on disk) spend FUZZTIME fuzzing.
FUZZTIME ?= 5s
FUZZ_TARGETS := ./bootstrap/github:FuzzParseTarget ./bootstrap/github:FuzzListRunnersLink \
	./bootstrap/archive:FuzzExtract ./bootstrap/runner:FuzzReadSettings ./bootstrap/runner:FuzzDecodeJIT \
	./bootstrap:FuzzMergeEnv ./bootstrap:FuzzStoreRead
fuzz:
	@set -e; log=$$(mktemp); trap 'rm -f $$log' EXIT; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t#*:}; \
		if $(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 200x $$pkg >$$log 2>&1; then \
			echo "fuzz: $$fn: ok, $$(grep '^fuzz: elapsed' $$log | tail -n 1 | sed 's/^fuzz: //')"; \
		elif grep -q 'context deadline exceeded' $$log && ! grep -q 'Failing input written' $$log && ! grep -q -- '--- FAIL: .*/' $$log; then \
			echo "fuzz: $$fn: ok, $$(grep '^fuzz: elapsed' $$log | tail -n 1 | sed 's/^fuzz: //') (Go's deadline race at the end, golang/go#75804: no failing input)"; \
		else \
			cat $$log; echo "fuzz: $$fn FAILED"; exit 1; \
		fi; \
	done

# The whole lifecycle against the simulated GitHub: no network, no root.
demo: build
	$(GO) run ./scripts/demo -runnerctl ./runnerctl

# The Debian rootfs in which the systemd tests boot systemd (root, debootstrap).
nspawn-rootfs:
	sh scripts/nspawn-rootfs.sh .cache/nspawn-rootfs

# That rootfs plus cloud-init, curl and ca-certificates, in which
# service/cloudinit_test.go boots a real cloud-init first boot (root).
cloudinit-rootfs: nspawn-rootfs
	sh scripts/cloudinit-rootfs.sh .cache/cloudinit-rootfs .cache/nspawn-rootfs

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...

# Build and vet for every shipped platform.
cross:
	@set -e; for t in $(TARGETS); do \
		os=$${t%/*}; arch=$${t#*/}; \
		echo "cross: $$os/$$arch"; \
		GOOS=$$os GOARCH=$$arch CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/runnerctl-$$os-$$arch$$( [ $$os = windows ] && echo .exe ) . ; \
		GOOS=$$os GOARCH=$$arch CGO_ENABLED=0 $(GO) vet ./... ; \
	done

clean:
	rm -rf runnerctl dist

# prepare vs curl+sha256sum+tar vs gzip -dc on a ~200 MB package, on tmpfs.
.PHONY: bench
bench: build
	$(GO) run ./scripts/bench -runs 5 -runnerctl ./runnerctl

# A boot storm against the fake GHES with GitHub's rate limits (20 req/s
# secondary with Retry-After, 5000 req/h primary with X-RateLimit-Reset, one
# PAT): 200 hosts at once, then with --jitter 30s. Exits 1 unless every host
# registers and amplification (requests sent / needed) is <= 2.0 and <= 1.3.
# The clock runs 5x (scripts/fleetsim/main.go says how); about 30 s.
FLEET_HOSTS ?= 200
fleet-sim:
	$(GO) run ./scripts/fleetsim -hosts $(FLEET_HOSTS) -target 2.0
	$(GO) run ./scripts/fleetsim -hosts $(FLEET_HOSTS) -jitter 30s -target 1.3

# How it grows: 1000 hosts, each bounded by -host-timeout (15 min simulated,
# 3 min here); one PAT, then a budget of 15000/h (a GitHub App on GHEC).
# Reports, no target: one PAT's 5000/h is not enough for 1000 hosts.
fleet-sim-1000:
	-$(GO) run ./scripts/fleetsim -hosts 1000
	-$(GO) run ./scripts/fleetsim -hosts 1000 -jitter 30s
	$(GO) run ./scripts/fleetsim -hosts 1000 -primary 15000
	$(GO) run ./scripts/fleetsim -hosts 1000 -primary 15000 -jitter 150s

# The primary limit: 200 hosts on a budget of 500/h wait for X-RateLimit-Reset
# (an hour simulated, clock x100: about 40 s) and all register.
fleet-sim-primary:
	$(GO) run ./scripts/fleetsim -hosts 200 -primary 500 -max-wait 70m -host-timeout 2h -scale 100
