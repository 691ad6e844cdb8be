// swift-tools-version: 6.1
import PackageDescription

// Dependencies point one way: LlamaIO → LlamaTokenizer → llamakit (see README, "Modules").
let package = Package(
  name: "LlamaKit",
  products: [
    .executable(name: "llamakit", targets: ["llamakit"]),
    .library(name: "LlamaIO", targets: ["LlamaIO"]),
    .library(name: "LlamaTokenizer", targets: ["LlamaTokenizer"]),
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
    .executableTarget(
      name: "llamakit",
      dependencies: [
        "LlamaIO", "LlamaTokenizer",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    .testTarget(name: "LlamaIOTests", dependencies: ["LlamaIO"]),
    .testTarget(name: "LlamaTokenizerTests", dependencies: ["LlamaTokenizer", "LlamaIO"]),
    .testTarget(name: "llamakitTests", dependencies: ["llamakit", "LlamaIO"]),
  ]
)
