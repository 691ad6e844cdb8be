// swift-tools-version: 6.1
import PackageDescription

// Dependencies point one way: LlamaIO, LlamaCore → LlamaTokenizer → LlamaFormats → Plugins/* →
// LlamaKit → llamakit (see README, "Modules"). Plugins never import each other.
let package = Package(
  name: "LlamaKit",
  products: [
    .executable(name: "llamakit", targets: ["llamakit"]),
    .library(name: "LlamaIO", targets: ["LlamaIO"]),
    .library(name: "LlamaTokenizer", targets: ["LlamaTokenizer"]),
    .library(name: "LlamaCore", targets: ["LlamaCore"]),
    .library(name: "LlamaFormats", targets: ["LlamaFormats"]),
    .library(name: "LlamaKit", targets: ["LlamaKit"]),
    .library(name: "LlamaInference", targets: ["LlamaInference"]),
    .library(name: "LlamaKernels", targets: ["LlamaKernels"]),
    .library(name: "LlamaEval", targets: ["LlamaEval"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
  ],
  targets: [
    // System libraries: a [system] module map plus shim.h each; found through pkg-config.
    .systemLibrary(
      name: "CJSONC", path: "Sources/CJSONC", pkgConfig: "json-c",
      providers: [.apt(["libjson-c-dev"])]),
    .systemLibrary(
      name: "CArchive", path: "Sources/CArchive", pkgConfig: "libarchive",
      providers: [.apt(["libarchive-dev"])]),

    .target(name: "LlamaIO", dependencies: ["CJSONC", "CArchive"]),
    .target(name: "LlamaTokenizer", dependencies: ["LlamaIO"]),
    .target(name: "LlamaCore"),
    // The numeric kernels, built for x86-64-v3 (AVX2, FMA, F16C): without it SIMD FMA becomes
    // libm fmaf calls. Only this target carries the flag; the CPU is checked at start-up.
    .systemLibrary(name: "CSpinHint", path: "Sources/CSpinHint"),
    // AVX-512 (x86-64-v4) + VNNI kernels, called by LlamaKernels only on CPUs that have them.
    .target(
      name: "LlamaKernelsAVX512",
      swiftSettings: [
        .unsafeFlags(["-Xcc", "-march=x86-64-v4", "-Xcc", "-mavx512vnni", "-Xcc", "-mtune=znver4"]),
        .unsafeFlags(["-O"], .when(configuration: .debug)),
      ]),
    .target(
      name: "LlamaKernels", dependencies: ["LlamaCore", "CSpinHint", "LlamaKernelsAVX512"],
      swiftSettings: [
        .unsafeFlags(["-Xcc", "-march=x86-64-v3"]),
        // Optimized in debug builds too: unoptimized kernels make the model tests minutes long.
        .unsafeFlags(["-O"], .when(configuration: .debug)),
      ]),
    .target(name: "LlamaInference", dependencies: ["LlamaCore", "LlamaKernels"]),
    .target(name: "LlamaFormats", dependencies: ["LlamaIO", "LlamaCore", "LlamaTokenizer"]),
    // The evaluation harness: lm-eval's requests and tasks, llama.cpp's perplexity, on any
    // model that gives logits (LogitModel).
    .target(name: "LlamaEval", dependencies: ["LlamaCore", "LlamaKernels", "LlamaTokenizer", "LlamaIO"]),

    // Checkpoint formats: one library target each, registered in LlamaKit/BuiltinFormats.swift.
    .target(name: "GGUF", dependencies: ["LlamaFormats"], path: "Plugins/GGUF"),
    .target(name: "Safetensors", dependencies: ["LlamaFormats"], path: "Plugins/Safetensors"),
    .target(name: "PyTorch", dependencies: ["LlamaFormats"], path: "Plugins/PyTorch"),
    .target(name: "Llama2C", dependencies: ["LlamaFormats"], path: "Plugins/Llama2C"),

    .target(name: "LlamaKit", dependencies: ["LlamaFormats", "LlamaInference", "LlamaEval", "GGUF", "Safetensors", "PyTorch", "Llama2C"]),
    .executableTarget(
      name: "llamakit",
      dependencies: [
        "LlamaIO", "LlamaTokenizer", "LlamaCore", "LlamaFormats", "LlamaKernels", "LlamaInference", "LlamaKit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    .testTarget(name: "LlamaIOTests", dependencies: ["LlamaIO"]),
    .testTarget(name: "LlamaTokenizerTests", dependencies: ["LlamaTokenizer", "LlamaIO"]),
    .testTarget(name: "LlamaCoreTests", dependencies: ["LlamaCore"]),
    .testTarget(name: "LlamaKernelsTests", dependencies: ["LlamaKernels", "LlamaCore"]),
    .testTarget(name: "LlamaInferenceTests", dependencies: ["LlamaInference", "LlamaKit", "LlamaEval", "LlamaCore", "LlamaIO", "LlamaTokenizer"]),
    .testTarget(name: "LlamaFormatsTests", dependencies: ["LlamaKit", "LlamaFormats", "LlamaCore", "LlamaIO", "LlamaTokenizer", "GGUF", "Safetensors", "PyTorch", "Llama2C"]),
    .testTarget(name: "LlamaEvalTests", dependencies: ["LlamaEval", "LlamaKit", "LlamaInference", "LlamaCore", "LlamaIO", "LlamaTokenizer"]),
    // The examples of docs/adding-a-checkpoint-format.md and docs/adding-a-task.md, compiled and run.
    .testTarget(
      name: "DocumentationTests",
      dependencies: ["LlamaKit", "LlamaFormats", "LlamaEval", "LlamaInference", "LlamaCore", "LlamaIO", "LlamaTokenizer", "Safetensors"]),
    .testTarget(name: "llamakitTests", dependencies: ["llamakit", "LlamaIO", "LlamaCore", "LlamaFormats", "LlamaKit"]),
  ]
)
