# LlamaKit: build, demo and test on Debian/Ubuntu with Swift 6 installed.
# Every target installs the two system libraries first when they are missing.

SWIFT   ?= swift
DEB     := libjson-c-dev libarchive-dev pkg-config
BUNDLED := Tests/Fixtures/tokenizers/llama2/tokenizer.model
TOOL    := .build/release/llamakit
PREFIX  ?= /usr/local

.PHONY: all deps build demo test install benchmark-compare benchmark-inspect clean

all: build

# Installs json-c and libarchive headers (and pkg-config) with apt when they are missing.
deps:
	@missing=""; for p in $(DEB); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing$$missing"; \
	  if [ "$$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi; \
	  $$sudo apt-get update -qq && $$sudo apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build -c release --product llamakit

# The quick-start demo: inspect and use the bundled Llama 2 tokenizer.
demo: build
	$(TOOL) vocab $(BUNDLED)
	@echo
	$(TOOL) tokenize $(BUNDLED) "LlamaKit tokenizes text exactly as sentencepiece does: 2024 ☕ naïve café."
	@echo
	$(TOOL) tokenize $(BUNDLED) "Hello world" --json
	$(TOOL) detokenize $(BUNDLED) 1 15043 3186 2

# The test suite (Swift Testing); the CLI tests run the built binary.
test: deps
	$(SWIFT) build
	$(SWIFT) test

install: build
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(TOOL) $(DESTDIR)$(PREFIX)/bin/llamakit

# Side-by-side tokenizer throughput against sentencepiece and tokenizers (PyPI, in a venv).
benchmark-compare: deps
	bash benchmarks/compare/compare_tokenizers.sh

# Time and peak memory of `inspect` on a generated 2 GB GGUF.
benchmark-inspect: deps
	bash benchmarks/compare/inspect_large_gguf.sh

clean:
	rm -rf .build benchmarks/.build
