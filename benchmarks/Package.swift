// swift-tools-version: 6.1
import PackageDescription

// Benchmarks for LlamaKit, kept in a nested package so that the main package does not depend
// on the benchmark framework. Suites: Benchmarks/<Suite>/ (ordo-one/benchmark, run with
// `swift package benchmark`); peer comparisons: compare/.
let package = Package(
  name: "LlamaKitBenchmarks",
  platforms: [.macOS(.v13)],
  dependencies: [
    .package(name: "LlamaKit", path: ".."),
    .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
  ],
  targets: [
    .executableTarget(
      name: "TokenizerBenchmarks",
      dependencies: [
        .product(name: "Benchmark", package: "benchmark"),
        .product(name: "LlamaTokenizer", package: "LlamaKit"),
      ],
      path: "Benchmarks/Tokenizer",
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
    // Matrix kernels per weight type, activation quantizers, RMSNorm.
    .executableTarget(
      name: "KernelBenchmarks",
      dependencies: [
        .product(name: "Benchmark", package: "benchmark"),
        .product(name: "LlamaKernels", package: "LlamaKit"),
        .product(name: "LlamaCore", package: "LlamaKit"),
      ],
      path: "Benchmarks/Kernels",
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
    // Single-threaded encode throughput on one text, printed as JSON; used by
    // compare/compare_tokenizers.sh next to sentencepiece and tokenizers.
    .executableTarget(
      name: "tokenizer-throughput",
      dependencies: [
        .product(name: "LlamaTokenizer", package: "LlamaKit"),
        .product(name: "LlamaIO", package: "LlamaKit"),
      ],
      path: "Sources/tokenizer-throughput"),
    // Memory bandwidth and FMA / int8 peaks of this machine: the limits the inference speeds
    // are compared with (compare/compare_llamacpp.sh).
    .executableTarget(
      name: "machine-limits",
      dependencies: [.product(name: "LlamaKernels", package: "LlamaKit"), "MachineLimitsAVX512"],
      path: "Sources/machine-limits",
      swiftSettings: [.unsafeFlags(["-Xcc", "-march=x86-64-v3"])]),
    // Single-threaded matrix kernel throughput per weight type.
    .executableTarget(
      name: "kernel-throughput",
      dependencies: [.product(name: "LlamaKernels", package: "LlamaKit"), .product(name: "LlamaCore", package: "LlamaKit")],
      path: "Sources/kernel-throughput"),
    .target(
      name: "MachineLimitsAVX512", path: "Sources/MachineLimitsAVX512",
      swiftSettings: [.unsafeFlags(["-Xcc", "-march=x86-64-v4", "-Xcc", "-mavx512vnni"])]),
  ]
)
