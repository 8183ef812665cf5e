# regdoctor build, test and demo targets. `make deps test` is what CI runs.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# DOCS_URL is where the diagnosis pages are published; the JSON's docs_url
# and `regdoctor docs` point there (the binary also carries the pages).
DOCS_URL ?= https://github.com/regdoctor/regdoctor/blob/main/docs/codes/
LDFLAGS := -X github.com/regdoctor/regdoctor/checks.Version=$(VERSION) -X github.com/regdoctor/regdoctor/docs.BaseURL=$(DOCS_URL)
PKGS    := ./...
# go.mod's toolchain line names the Go release regdoctor is built, tested and
# scanned with; the machine's go fetches it from the module proxy (its
# go.env says GOTOOLCHAIN=local, which would ignore the line).
export GOTOOLCHAIN ?= auto
# The packages the integration suite drives, as Debian names them.
DEB_PKGS := docker-registry nginx skopeo apache2-utils podman prometheus containerd buildah docker.io tmux
# The Go clients the integration suite also drives, pinned: crane at
# go.mod's go-containerregistry, regctl at a release the module proxy serves.
CRANE_VERSION  := v0.22.1
REGCTL_VERSION := v0.11.7

.PHONY: build image demo test unit integration integration-tools integration-testdata lint staticcheck vulncheck fuzz deps bench clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/regdoctor ./cmd/regdoctor

## image: the container image, an OCI image layout in bin/image/oci, built
## without a daemon (scripts/image, go-containerregistry): the static binary
## and the machine's CA bundle. Reproducible: -trimpath, no build ID, every
## timestamp the commit's, so one commit, toolchain and CA bundle give one
## digest. Push it with `skopeo copy oci:bin/image/oci:$(VERSION) docker://…`.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
REVISION          ?= $(shell git rev-parse HEAD 2>/dev/null)
CA_BUNDLE         ?= /etc/ssl/certs/ca-certificates.crt
image:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS) -buildid=" -o bin/image/regdoctor ./cmd/regdoctor
	$(GO) run ./scripts/image -binary bin/image/regdoctor -ca-bundle $(CA_BUNDLE) -out bin/image/oci \
	  -version $(VERSION) -revision "$(REVISION)" -tag $(VERSION) -created $(SOURCE_DATE_EPOCH) -arch $$($(GO) env GOARCH)

demo: build
	./bin/regdoctor demo

## test: every test, unit and integration; integration tests may not skip.
test: unit integration

unit:
	$(GO) test -race -count=1 $(PKGS)

integration: integration-tools
	REGDOCTOR_INTEGRATION_STRICT=1 $(GO) test -tags integration -count=1 -timeout 20m ./integration/

## integration-tools: crane and regctl into bin/, where the suite finds them.
## A stamp per version, so that changing a pin reinstalls the tool.
integration-tools: bin/.crane-$(CRANE_VERSION) bin/.regctl-$(REGCTL_VERSION)
bin/.crane-$(CRANE_VERSION):
	GOBIN=$(CURDIR)/bin $(GO) install github.com/google/go-containerregistry/cmd/crane@$(CRANE_VERSION)
	touch $@
bin/.regctl-$(REGCTL_VERSION):
	GOBIN=$(CURDIR)/bin $(GO) install github.com/regclient/regclient/cmd/regctl@$(REGCTL_VERSION)
	touch $@

## integration-testdata: rerun the client matrices and rewrite
## integration/testdata/client-errors.json and client-config-errors.json,
## the real clients' error texts (cmd/regdoctor TestExplainClientErrors).
integration-testdata: integration-tools
	REGDOCTOR_INTEGRATION_STRICT=1 REGDOCTOR_WRITE_CLIENT_ERRORS=1 $(GO) test -tags integration -count=1 -timeout 20m -run '^(TestClientMatrix|TestClientConfigMatrix)$$' ./integration/

## lint: gofmt, go vet, staticcheck and govulncheck; all must be clean.
lint:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) vet -tags integration ./integration/
	$(GO) vet -tags 'integration bench' ./integration/
	$(MAKE) staticcheck vulncheck

# Hygiene tools, pinned, built from the Go module proxy into bin/tools.
STATICCHECK_VERSION := v0.8.2
GOVULNCHECK_VERSION := v1.9.0
# govulncheck cannot reach vuln.go.dev from here. golang.org/x/vulndb, which
# the module proxy serves, holds the same reports as OSV JSON (data/osv), and
# its cmd/indexdb writes them in the layout `govulncheck -db file://` reads.
VULNDB_VERSION      := v0.0.0-20261105234957-e22db6528018
# Tools are kept per Go release: a govulncheck built by an older Go cannot
# load the newer standard library.
GOVERSION   := $(shell GOTOOLCHAIN=$(GOTOOLCHAIN) $(GO) env GOVERSION)
STATICCHECK := bin/tools/$(GOVERSION)/staticcheck-$(STATICCHECK_VERSION)/staticcheck
GOVULNCHECK := bin/tools/$(GOVERSION)/govulncheck-$(GOVULNCHECK_VERSION)/govulncheck
INDEXDB     := bin/tools/$(GOVERSION)/indexdb-$(VULNDB_VERSION)/indexdb
VULNDB      := bin/vulndb-$(VULNDB_VERSION)

$(STATICCHECK):
	GOBIN=$(CURDIR)/$(@D) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
$(GOVULNCHECK):
	GOBIN=$(CURDIR)/$(@D) $(GO) install golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION)
$(INDEXDB):
	GOBIN=$(CURDIR)/$(@D) $(GO) install golang.org/x/vulndb/cmd/indexdb@$(VULNDB_VERSION)

staticcheck: $(STATICCHECK)
	$(STATICCHECK) $(PKGS)
	$(STATICCHECK) -tags integration ./integration/

# The database is built once per VULNDB_VERSION; any failure stops here,
# saying why, rather than scanning against nothing.
$(VULNDB)/index/db.json: $(INDEXDB)
	@src="$$(cd "$$(mktemp -d)" && $(GO) mod download -json golang.org/x/vulndb@$(VULNDB_VERSION) | sed -n 's/^\t"Dir": "\(.*\)",$$/\1/p')"; \
	if [ ! -d "$$src/data/osv" ]; then \
	  echo "vulncheck: cannot build the vulnerability database: golang.org/x/vulndb@$(VULNDB_VERSION) from the module proxy has no data/osv ($$src)" >&2; exit 1; fi; \
	rm -rf $(VULNDB).tmp && $(INDEXDB) -vulns "$$src/data/osv" -out $(VULNDB).tmp && rm -rf $(VULNDB) && mv $(VULNDB).tmp $(VULNDB)

vulncheck: $(GOVULNCHECK) $(VULNDB)/index/db.json
	$(GOVULNCHECK) -db file://$(CURDIR)/$(VULNDB) $(PKGS)

## fuzz: a short run of every fuzz target in every package (FUZZTIME=10s by
## default); the seed corpora in testdata/fuzz also run with every `go test`.
FUZZTIME ?= 10s
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
	  targets="$$($(GO) test -list '^Fuzz' $$pkg)" || { echo "$$targets"; exit 1; }; \
	  for f in $$(echo "$$targets" | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; done

## bench: regdoctor against skopeo and crane on real servers, interleaved;
## installs crane (go.mod's version) into bin/bench and writes BENCHMARKS.md.
## Not part of `make test`: the benchmark sits behind the `bench` build tag.
bench:
	GO=$(GO) scripts/bench.sh

## deps: the Debian packages the integration suite needs (run as root).
deps:
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEB_PKGS)

clean:
	rm -rf bin
