# regdoctor build, test and demo targets. `make deps test` is what CI runs.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/regdoctor/regdoctor/checks.Version=$(VERSION)
PKGS    := ./...
# The packages the integration suite drives, as Debian names them.
DEB_PKGS := docker-registry nginx skopeo apache2-utils podman prometheus

.PHONY: build demo test unit integration lint fuzz deps bench clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/regdoctor ./cmd/regdoctor

demo: build
	./bin/regdoctor demo

## test: every test, unit and integration; integration tests may not skip.
test: unit integration

unit:
	$(GO) test -race -count=1 $(PKGS)

integration:
	REGDOCTOR_INTEGRATION_STRICT=1 $(GO) test -tags integration -count=1 -timeout 10m ./integration/

lint:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) vet -tags integration ./integration/

## fuzz: a short run of every fuzz target (FUZZTIME=10s by default).
FUZZTIME ?= 10s
fuzz:
	@set -e; for pkg in ./checks/ ./diagnose/; do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; done

## deps: the Debian packages the integration suite needs (run as root).
deps:
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEB_PKGS)

clean:
	rm -rf bin
