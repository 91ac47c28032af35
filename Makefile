# The two set-up commands of the README: `make site` builds the sample site, `make test` runs the tests.
SWIFT ?= swift

.PHONY: deps site test release clean

deps:
	@./scripts/install-deps.sh

release: deps
	$(SWIFT) build -c release --product materia

site: release
	.build/release/materia build

test: deps
	$(SWIFT) test

clean:
	rm -rf .build Output
