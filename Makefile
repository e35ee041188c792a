# Sweep: set-up, build, test and benchmarks. `make run` and `make test` are all a new
# machine needs: they install the missing Debian packages first.

SHELL := /bin/bash
SWIFT ?= swift
# Debian does not package Swift: every target that compiles checks for it first.
SWIFT_MIN := 6.1
SWIFT_HINT := Sweep needs Swift $(SWIFT_MIN) or newer, and Debian does not package it. Download the toolchain for your distribution from https://www.swift.org/install/linux/ (a tar.gz), unpack it, for example to /opt/swift, and put its usr/bin on PATH (export PATH=/opt/swift/usr/bin:\$$PATH), or run make SWIFT=/path/to/swift.

# Debian packages the build, the tests and `make run` need.
APT_PACKAGES := pkg-config zlib1g-dev libopenblas-dev libzmq3-dev libsqlite3-dev sqlite3 dataset-fashion-mnist chromium tmux \
  python3 python3-numpy python3-sklearn python3-zmq python3-pip python3-venv

# Release builds for training speed; AVX2/FMA code when the CPU has it.
TARGET_CPU := $(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo && echo haswell)
RELEASE_FLAGS := -c release $(if $(TARGET_CPU),-Xswiftc -target-cpu -Xswiftc $(TARGET_CPU))
SWEEP := .build/release/sweep

# One BLAS thread per process: parallelism comes from worker processes.
export OPENBLAS_NUM_THREADS := 1

# What `make bench` needs on top: pandas (bench/data/run), GNU time (peak memory) and perf
# (bench/cluster/profile).
BENCH_APT_PACKAGES := python3-pandas time linux-perf

# What the multi-machine tests (cluster/) need on top: namespaces, Slurm, ssh.
CLUSTER_APT_PACKAGES := iproute2 iputils-ping slurm-wlm munge openssh-server openssh-client systemd

# `make install`: where (PREFIX) and under which root (DESTDIR, for packaging).
PREFIX ?= /usr/local
DESTDIR ?=
# `make dist`: a tarball of `sweep` with the Swift runtime linked in, for hosts without a
# toolchain. Portable code (no -target-cpu): cluster hosts may have older CPUs than this one.
VERSION := $(shell sed -n 's/.*sweepVersion = "\([0-9][^"]*\)".*/\1/p' Sources/SweepSupport/Version.swift)
DIST_NAME := sweep-$(VERSION)-linux-$(shell uname -m)
DIST_FLAGS := -c release --static-swift-stdlib --scratch-path .build/dist

.PHONY: all check-swift deps example-data cluster-deps apt-install build run test test-chaos test-cluster test-install bench bench-cluster bench-deps bench-venv \
	dist portable install install-files clean

all: build

## check-swift: stop with where to get Swift when it is missing or too old.
check-swift:
	@command -v $(SWIFT) >/dev/null 2>&1 || { echo "make: '$(SWIFT)' not found. $(SWIFT_HINT)" >&2; exit 1; }
	@v=$$($(SWIFT) --version 2>/dev/null | sed -n 's/.*Swift version \([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' | head -n 1); \
	if [ -z "$$v" ] || [ "$$(printf '%s\n%s\n' "$(SWIFT_MIN)" "$$v" | sort -V | head -n 1)" != "$(SWIFT_MIN)" ]; then \
	  echo "make: $(SWIFT) is Swift $${v:-of an unknown version}. $(SWIFT_HINT)" >&2; exit 1; \
	fi

## deps: install the Debian packages that are missing (apt, as root or with sudo).
deps:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(APT_PACKAGES)"
	@$(MAKE) --no-print-directory example-data

## example-data: the small tabular sets of sweeps/tabular, exported from Debian's
## python3-sklearn (data sets are generated, not committed).
EXAMPLE_DATA := data/iris.csv data/breast-cancer.csv data/diabetes.csv data/digits.csv
example-data: $(EXAMPLE_DATA)
$(EXAMPLE_DATA): data/export_sklearn.py
	/usr/bin/python3 data/export_sklearn.py data

bench-deps:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(BENCH_APT_PACKAGES)"

cluster-deps:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(CLUSTER_APT_PACKAGES)"

apt-install:
	@missing=""; for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
	  $$sudo apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

## build: release build of `sweep` (the binary workers train with).
build: check-swift deps
	$(SWIFT) build $(RELEASE_FLAGS) --product sweep

## run: set up, build, and run the quickstart sweep (2 local workers, SQLite in runs/).
run: build
	@mkdir -p runs
	@rm -f runs/quickstart.db runs/quickstart.db-wal runs/quickstart.db-shm
	$(SWEEP) run sweeps/quickstart.yaml --workers 2 --db runs/quickstart.db

## test: set up, build, and run every test.
test: check-swift deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## test-chaos: workers and the coordinator killed with SIGKILL at random (seeded) moments
## during sweeps (three seeds, with pruning and failing trials), then the wire fuzz with
## more cases. A few minutes on 2 cores.
CHAOS_SEEDS ?= 1 2 3
test-chaos: check-swift deps
	$(SWIFT) build --build-tests
	for seed in $(CHAOS_SEEDS); do \
	  SWEEP_CHAOS_SEED=$$seed SWEEP_CHAOS_TRIALS=400 SWEEP_CHAOS_KILLS=25 SWEEP_CHAOS_PRUNE=1 \
	    $(SWIFT) test --skip-build --filter ChaosTests || exit 1; \
	done
	# Trials of no time at all: workers hold several leases ahead when they are killed.
	SWEEP_CHAOS_SEED=4 SWEEP_CHAOS_TRIALS=20000 SWEEP_CHAOS_KILLS=25 SWEEP_CHAOS_PRUNE=1 SWEEP_CHAOS_SLEEP=0 \
	  $(SWIFT) test --skip-build --filter ChaosTests
	SWEEP_FUZZ_CASES=30000 $(SWIFT) test --skip-build --filter WireFuzzTests

## test-cluster: the multi-machine rehearsals (network namespaces with CURVE, a data set
## shipped to a worker without the files, a real
## single-node Slurm cluster, ssh into namespaces, the systemd unit). Needs root.
## Uses the debug build of `make test`.
test-cluster: check-swift deps cluster-deps
	$(SWIFT) build --product sweep
	SWEEP=$(CURDIR)/.build/debug/sweep cluster/netns/test.sh
	SWEEP=$(CURDIR)/.build/debug/sweep cluster/netns/ship-data.sh
	SWEEP=$(CURDIR)/.build/debug/sweep cluster/ssh/test.sh
	SWEEP=$(CURDIR)/.build/debug/sweep cluster/slurm/test.sh
	SWEEP=$(CURDIR)/.build/debug/sweep cluster/systemd/test.sh

## bench: benchmarks against the peers (PyTorch, Keras, Optuna) in one run.
bench: check-swift build bench-deps bench-venv
	$(SWIFT) build $(RELEASE_FLAGS) --product sweep-bench
	bench/run-all

## bench-cluster: the cluster benchmark only.
bench-cluster: check-swift build bench-deps bench-venv
	$(SWIFT) build $(RELEASE_FLAGS) --product sweep-bench
	bench/cluster/run

bench-venv:
	bench/setup-venv

## dist: dist/sweep-VERSION-linux-ARCH.tar.gz: bin/sweep with the Swift runtime linked
## statically (runs where no toolchain is installed; needs the Debian runtime libraries
## libzmq5, libopenblas0, libsqlite3-0, zlib1g), its man page and shell completions.
dist: portable
	rm -rf dist/$(DIST_NAME) dist/$(DIST_NAME).tar.gz
	@$(MAKE) --no-print-directory install-files PREFIX=$(CURDIR)/dist/$(DIST_NAME) DESTDIR= BIN=.build/dist/release/sweep
	tar -C dist -czf dist/$(DIST_NAME).tar.gz $(DIST_NAME)
	@echo "dist/$(DIST_NAME).tar.gz: unpack it anywhere and run bin/sweep (or copy bin/sweep to the hosts)"

## install: `sweep` into $(PREFIX)/bin (the dist build: it keeps working when the toolchain
## moves or goes), its man page and bash/zsh/fish completions.
install: portable
	@$(MAKE) --no-print-directory install-files BIN=.build/dist/release/sweep

# The release `sweep` with the Swift runtime linked in, in its own build directory.
portable: check-swift deps
	$(SWIFT) build $(DIST_FLAGS) --product sweep

# The files of an installation, from the binary BIN (the man page comes from
# swift-argument-parser's generate-manual tool, the completions from BIN itself).
install-files:
	$(SWIFT) build --product generate-manual
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/sweep
	$(BIN) --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/sweep
	$(BIN) --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_sweep
	$(BIN) --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/sweep.fish
	.build/debug/generate-manual $(BIN) --output-directory $(DESTDIR)$(PREFIX)/share/man/man1

## test-install: `make dist` runs with the toolchain hidden (a mount namespace with an
## empty /opt/swift; needs root), and `make install PREFIX=...` installs every file.
test-install: check-swift deps
	install/test.sh

clean:
	rm -rf .build dist
