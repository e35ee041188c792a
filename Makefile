# Sweep: set-up, build, test and benchmarks. `make run` and `make test` are all a new
# machine needs: they install the missing Debian packages first.

SHELL := /bin/bash
SWIFT ?= swift

# Debian packages the build, the tests and `make run` need.
APT_PACKAGES := pkg-config zlib1g-dev libopenblas-dev libzmq3-dev libsqlite3-dev sqlite3 dataset-fashion-mnist chromium tmux python3-numpy

# Release builds for training speed; AVX2/FMA code when the CPU has it.
TARGET_CPU := $(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo && echo haswell)
RELEASE_FLAGS := -c release $(if $(TARGET_CPU),-Xswiftc -target-cpu -Xswiftc $(TARGET_CPU))
SWEEP := .build/release/sweep

# One BLAS thread per process: parallelism comes from worker processes.
export OPENBLAS_NUM_THREADS := 1

# What the multi-machine tests (cluster/) need on top: namespaces, Slurm, ssh.
CLUSTER_APT_PACKAGES := iproute2 iputils-ping slurm-wlm munge openssh-server openssh-client systemd

.PHONY: all deps cluster-deps apt-install build run test test-cluster bench bench-cluster bench-venv clean

all: build

## deps: install the Debian packages that are missing (apt, as root or with sudo).
deps:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(APT_PACKAGES)"

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
build: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product sweep

## run: set up, build, and run the quickstart sweep (2 local workers, SQLite in runs/).
run: build
	@mkdir -p runs
	@rm -f runs/quickstart.db runs/quickstart.db-wal runs/quickstart.db-shm
	$(SWEEP) run sweeps/quickstart.yaml --workers 2 --db runs/quickstart.db

## test: set up, build, and run every test.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## test-cluster: the multi-machine rehearsals (network namespaces with CURVE, a real
## single-node Slurm cluster, ssh into namespaces, the systemd unit). Needs root.
## Uses the debug build of `make test`.
test-cluster: deps cluster-deps
	$(SWIFT) build --product sweep
	SWEEP=$(CURDIR)/.build/debug/sweep cluster/netns/test.sh
	SWEEP=$(CURDIR)/.build/debug/sweep cluster/ssh/test.sh
	SWEEP=$(CURDIR)/.build/debug/sweep cluster/slurm/test.sh
	SWEEP=$(CURDIR)/.build/debug/sweep cluster/systemd/test.sh

## bench: benchmarks against the peers (PyTorch, Keras, Optuna) in one run.
bench: build bench-venv
	$(SWIFT) build $(RELEASE_FLAGS) --product sweep-bench
	bench/run-all

## bench-cluster: the cluster benchmark only.
bench-cluster: build bench-venv
	$(SWIFT) build $(RELEASE_FLAGS) --product sweep-bench
	bench/cluster/run

bench-venv:
	bench/setup-venv

clean:
	rm -rf .build
