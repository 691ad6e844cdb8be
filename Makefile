# LlamaKit: build, demo and test on Debian/Ubuntu with Swift 6 installed.
# Every target installs the two system libraries first when they are missing.

SWIFT   ?= swift
DEB     := libjson-c-dev libarchive-dev pkg-config
BUNDLED := Tests/Fixtures/tokenizers/llama2/tokenizer.model
TOOL    := .build/release/llamakit
PREFIX  ?= /usr/local

.PHONY: all deps build demo test sanitize install benchmark-compare benchmark-inspect benchmark-llamacpp clean

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

# The quick-start demo: an lm-eval evaluation and llama.cpp-style perplexity of the bundled small
# model M0 on the bundled benchmark slices, the bundled Llama 2 tokenizer, and M0 run from two of
# its formats (its text is poor: it was trained for minutes; its numbers are exact).
M0 = Tests/Fixtures/models/m0
demo: build
	$(TOOL) eval $(M0)/hf --tasks arc_easy,arc_challenge,winogrande,lambada_openai,mmlu_world_religions --data Tests/Fixtures/benchmarks
	@echo
	$(TOOL) perplexity $(M0)/gguf/m0.Q4_K_M.gguf -f Tests/Fixtures/corpora/wiki.test.raw.head --ctx 128
	@echo
	$(TOOL) vocab $(BUNDLED)
	@echo
	$(TOOL) tokenize $(BUNDLED) "LlamaKit tokenizes text exactly as sentencepiece does: 2024 ☕ naïve café."
	@echo
	$(TOOL) tokenize $(BUNDLED) "Hello world" --json
	$(TOOL) detokenize $(BUNDLED) 1 15043 3186 2
	@echo
	$(TOOL) inspect $(M0)/gguf/m0.Q4_K_M.gguf
	@echo
	$(TOOL) generate $(M0)/hf --prompt "Once upon a time" -n 40 --temp 0
	$(TOOL) generate $(M0)/gguf/m0.Q4_K_M.gguf --prompt "Once upon a time" -n 40 --seed 1 --json
	@echo
	$(TOOL) bench $(M0)/gguf/m0.Q4_0.gguf -p 128 -n 64

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
