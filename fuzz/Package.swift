// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets for every parser, in a nested package so that the main package's build is
// untouched. Build and run with fuzz/run.sh (AddressSanitizer and libFuzzer's coverage
// instrumentation on every module; libFuzzer's driver linked without its main).
let package = Package(
  name: "LlamaKitFuzz",
  dependencies: [.package(name: "LlamaKit", path: "..")],
  targets: [
    .target(name: "FuzzDriver"),
    .executableTarget(
      name: "llamakit-fuzz",
      dependencies: [
        "FuzzDriver",
        .product(name: "LlamaKit", package: "LlamaKit"), .product(name: "LlamaFormats", package: "LlamaKit"),
        .product(name: "LlamaTokenizer", package: "LlamaKit"), .product(name: "LlamaIO", package: "LlamaKit"),
        .product(name: "LlamaCore", package: "LlamaKit"), .product(name: "LlamaEval", package: "LlamaKit"),
      ],
      path: "Sources/Fuzz"),
  ]
)
