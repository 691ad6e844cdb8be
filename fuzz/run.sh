#!/usr/bin/env bash
# Builds the fuzz targets (AddressSanitizer + libFuzzer coverage on every module) and runs each
# for SECONDS (default 60): corpora grow in fuzz/.corpus/<target> from fuzz/seeds/<target>;
# crashes, hangs (> 10 s), allocations over 1 GB and RSS over 2 GB are kept in
# fuzz/.artifacts/<target>/. Minimized crashers belong in Tests/Fixtures/fuzz/<target>/ as
# regression files (see SECURITY.md). Prints executions and coverage per target.
#
#   bash fuzz/run.sh [SECONDS] [TARGET…]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds="${1:-60}"; shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(gguf safetensors safetensors-index pytorch meta-params llama2c tokenizer-model tokenizer-json tokenizer-bin task-data kl-base)
fuzzer_lib="$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")/lib/clang"
fuzzer_lib="$(ls -d "$fuzzer_lib"/*/lib/linux | head -1)/libclang_rt.fuzzer_no_main-x86_64.a"
(cd "$here" && swift build -c release -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp \
  -Xlinker "$fuzzer_lib" -Xlinker -lstdc++ >/dev/null)
binary="$here/.build/release/llamakit-fuzz"
export LLAMAKIT_FUZZ_SEEDS="$here/seeds" SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0
for target in "${targets[@]}"; do
  corpus="$here/.corpus/$target"; artifacts="$here/.artifacts/$target"
  mkdir -p "$corpus" "$artifacts"
  cp -n "$here/seeds/$target"/* "$corpus/" 2>/dev/null || true
  log="$artifacts/last-run.log"
  "$binary" "$target" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
    -max_len=131072 -artifact_prefix="$artifacts/" -print_final_stats=1 > "$log" 2>&1 || true
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo "?")
  findings=$(ls "$artifacts" | grep -vc '^last-run.log$' || true)
  echo "$target: ${seconds}s, $execs executions, coverage $cov edges, corpus $(ls "$corpus" | wc -l) inputs, findings $findings"
done
