# LlamaKit: build, demo and test on Debian/Ubuntu with Swift 6 installed.
# Every target installs the two system libraries first when they are missing.

SWIFT   ?= swift
DEB     := libjson-c-dev libarchive-dev pkg-config
TOOL    := .build/release/llamakit
PREFIX  ?= /usr/local

.PHONY: all deps build generated demo test sanitize install uninstall benchmark-compare benchmark-inspect benchmark-llamacpp clean

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
	@$(MAKE) --no-print-directory generated

# The man page and the bash, zsh and fish completions, generated from the argument definitions
# by swift-argument-parser (its generate-manual plugin and --generate-completion-script).
GENERATED := .build/share
generated:
	@mkdir -p $(GENERATED)/man/man1 $(GENERATED)/completions
	$(SWIFT) package --allow-writing-to-package-directory generate-manual --output-directory $(GENERATED)/man/man1 >/dev/null
	@# Blank lines of multi-paragraph discussions become mdoc paragraph breaks (man warns on them).
	@sed -i 's/^$$/.Pp/' $(GENERATED)/man/man1/llamakit.1
	$(TOOL) --generate-completion-script bash > $(GENERATED)/completions/llamakit.bash
	$(TOOL) --generate-completion-script zsh > $(GENERATED)/completions/_llamakit
	$(TOOL) --generate-completion-script fish > $(GENERATED)/completions/llamakit.fish

# The quick-start demo: every job once on the bundled small model M0 (tokenize, inspect, convert
# and compare, perplexity, a short evaluation with an HTML report, generation), saying what each
# does (its text is poor: it was trained for minutes; its numbers are exact).
demo: build
	$(TOOL) demo

# Speed against llama.cpp (llama-cpp-python from PyPI, compiled once into a venv, 15-20 minutes)
# on synthetic TinyLlama-1.1B-shaped GGUF files.
benchmark-llamacpp: deps
	bash benchmarks/compare/compare_llamacpp.sh

# The test suite (Swift Testing); the CLI tests run the built binary.
test: deps
	$(SWIFT) build
	$(SWIFT) test

# The test suite under AddressSanitizer (with LeakSanitizer; the CLI tests run an instrumented
# llamakit) and the threaded parts (kernels, inference, evaluation) under ThreadSanitizer, each
# in its own build folder. Reference checks are skipped here (they run in `make test`).
SANITIZE := env -u LLAMAKIT_REFERENCE_DATA SWIFT_BACKTRACE=enable=no
sanitize: deps
	$(SWIFT) build --sanitize=address --scratch-path .build/asan
	$(SANITIZE) ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/lsan-suppressions.txt \
	  $(SWIFT) test --sanitize=address --scratch-path .build/asan
	$(SWIFT) build --sanitize=thread --scratch-path .build/tsan
	$(SANITIZE) TSAN_OPTIONS=halt_on_error=1 \
	  $(SWIFT) test --sanitize=thread --scratch-path .build/tsan \
	  --filter 'LlamaKernelsTests|LlamaInferenceTests|LlamaEvalTests'

# The binary, its man page and completions, and the demo data (M0, benchmark and WikiText
# slices, 7 MB) that `llamakit demo` finds beside the binary.
install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d $(DESTDIR)$(PREFIX)/share/llamakit/demo/models/m0
	install -m 0755 $(TOOL) $(DESTDIR)$(PREFIX)/bin/llamakit
	install -m 0644 $(GENERATED)/man/man1/llamakit.1 $(DESTDIR)$(PREFIX)/share/man/man1/llamakit.1
	install -m 0644 $(GENERATED)/completions/llamakit.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/llamakit
	install -m 0644 $(GENERATED)/completions/_llamakit $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_llamakit
	install -m 0644 $(GENERATED)/completions/llamakit.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/llamakit.fish
	rm -rf $(DESTDIR)$(PREFIX)/share/llamakit/demo/models/m0/hf $(DESTDIR)$(PREFIX)/share/llamakit/demo/benchmarks $(DESTDIR)$(PREFIX)/share/llamakit/demo/corpora
	cp -R Tests/Fixtures/models/m0/hf $(DESTDIR)$(PREFIX)/share/llamakit/demo/models/m0/hf
	cp -R Tests/Fixtures/benchmarks Tests/Fixtures/corpora $(DESTDIR)$(PREFIX)/share/llamakit/demo/
	@echo "Installed llamakit in $(DESTDIR)$(PREFIX)/bin; try: llamakit demo, man llamakit"

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/llamakit $(DESTDIR)$(PREFIX)/share/man/man1/llamakit.1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/llamakit $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_llamakit \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/llamakit.fish
	rm -rf $(DESTDIR)$(PREFIX)/share/llamakit

# Side-by-side tokenizer throughput against sentencepiece and tokenizers (PyPI, in a venv).
benchmark-compare: deps
	bash benchmarks/compare/compare_tokenizers.sh

# Time and peak memory of `inspect` on a generated 2 GB GGUF.
benchmark-inspect: deps
	bash benchmarks/compare/inspect_large_gguf.sh

clean:
	rm -rf .build benchmarks/.build
