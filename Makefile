# acme6 make targets. Every Node tool runs on the Node 22 that npm installs (node_modules/.bin first).
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: all deps build image lint test test-unit test-integration testbed testbed-up testbed-down demo bench soak clean

all: build

# npm ci only when package-lock.json changed since the last install.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

deps: node_modules/.installed

# The package's bins run straight from dist (npm sets the mode only on install, not for tsc output).
# dist/bundle is the program as the image ships it: tsc's output and its npm dependencies bundled into
# a few minified files (hack/image/bundle.config.ts), which an idle controller needs far less memory for.
build: deps
	tsc -p tsconfig.build.json
	chmod +x dist/src/cmd/acme6.js dist/src/cmd/kubectl-acme6.js
	dist/src/cmd/acme6.js version
	rolldown -c hack/image/bundle.config.ts --logLevel warn
	chmod +x dist/bundle/acme6.js
	dist/bundle/acme6.js version

# The image users deploy, built without Docker (hack/image/build.sh): dist/image/oci (OCI layout) and
# dist/image/acme6-<version>.tar (docker load, kind load image-archive). The Dockerfile builds the same.
image: build
	bash hack/testbed/debian-packages.sh
	bash hack/image/build.sh >/dev/null

lint: deps
	tsc -p tsconfig.json --noEmit
	eslint .
	prettier --check .

# Everything: static checks, the built program, unit tests, integration tests against the real testbed.
test: lint build test-unit test-integration

test-unit: deps
	vitest run --project unit

# Debian packages and the Go-built binaries, Helm included (cached outside the repo, keyed by version).
testbed:
	bash hack/testbed/debian-packages.sh
	bash hack/testbed/build.sh >/dev/null
	bash hack/testbed/helm.sh >/dev/null

# The image tests (test/integration/image-runtime.test.ts) run dist/image/oci under runc.
test-integration: deps testbed image
	@snapshot=$$(mktemp) && bash hack/testbed/leftovers.sh snapshot $$snapshot && \
	  vitest run --project integration; status=$$?; \
	  bash hack/testbed/leftovers.sh check $$snapshot || status=1; rm -f $$snapshot; exit $$status

# The testbed's pod runner runs acme6 pods from the image (ACME6_TESTBED_POD_RUNTIME=process: not).
testbed-up: deps testbed image
	node test/testbed/cli.ts up

testbed-down: deps
	node test/testbed/cli.ts down

# Builds only what the demo needs (no Helm), printing each step with its expected duration.
demo: deps
	bash hack/demo.sh

# acme6's controller against the bare lego client and Traefik's certResolver on one testbed
# (docs/performance.md). BENCH_N (100), BENCH_STEADY_SECONDS (60), BENCH_LEGO_PARALLEL (N),
# BENCH_LEGO=0, BENCH_TRAEFIK=0 and BENCH_HTTP01=0 scale it.
bench: build testbed image
	node bench/controller/bench.ts

# N Certificates on the testbed under every fault at once, then one table of goals (docs/reliability.md).
# SOAK_CERTS (100), SOAK_FAULT_SECONDS (300), SOAK_SETTLE_SECONDS (600) and the rest: test/soak/soak.ts.
soak: build testbed image
	node test/soak/soak.ts

clean:
	rm -rf dist coverage .testbed
