// Single-threaded throughput of the matrix kernels, per weight type: a 5632×2048 matrix (the
// FFN gate of TinyLlama-1.1B) times 1 token (matrix–vector: GB/s of weights) and times 32
// tokens (matrix–matrix: GMAC/s), with the kernel the model would use on this CPU (packed
// rows where the type has them). Prints one JSON line per type.
//
// Usage: kernel-throughput [TYPE…]   (default: F16 BF16 Q8_0 Q4_0 Q4_K Q6_K)
import Foundation
import LlamaCore
import LlamaKernels

func now() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_MONOTONIC, &t)
  return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

// KERNEL_ROWS=16 keeps the weights in L1/L2, to separate compute from memory limits.
let rows = Int(ProcessInfo.processInfo.environment["KERNEL_ROWS"] ?? "") ?? 5632, columns = 2048
let names = CommandLine.arguments.count > 1 ? Array(CommandLine.arguments.dropFirst()) : ["F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"]
nonisolated(unsafe) var state: UInt64 = 42
func nextRandom() -> UInt64 {
  state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
  return state >> 11
}

for name in names {
  guard let type = MatrixKernel.supportedTypes.first(where: { $0.name == name }), var kernel = MatrixKernel.kernel(for: type) else {
    print("{\"type\": \"\(name)\", \"error\": \"no kernel\"}")
    continue
  }
  var rowBytes = type.byteCount(elements: columns)!
  var weights = UnsafeMutableRawPointer.allocate(byteCount: rows * rowBytes, alignment: 64)
  for i in 0..<(rows * rowBytes) { weights.storeBytes(of: UInt8(truncatingIfNeeded: nextRandom()), toByteOffset: i, as: UInt8.self) }
  if type == .f16 || type == .bf16 {
    for i in 0..<(rows * columns) { weights.storeBytes(of: ProcessInfo.processInfo.environment["CONSTANT"] != nil ? UInt16(0x2400) : UInt16(0x2400) | UInt16(truncatingIfNeeded: nextRandom() & 0x83FF), toByteOffset: 2 * i, as: UInt16.self) }
  } else if type.isQuantized {
    // Small f16 scales wherever a block keeps one (first two bytes of most types; Q6_K and Q2_K/Q3_K keep them at the end).
    let offsets: [DType: [Int]] = [.q6_K: [208], .q2_K: [80, 82], .q3_K: [108], .q4_K: [0, 2], .q5_K: [0, 2], .q4_1: [0, 2], .q5_1: [0, 2]]
    for block in stride(from: 0, to: rows * rowBytes, by: type.blockBytes) {
      for offset in offsets[type] ?? [0] { weights.storeBytes(of: UInt16(0x1400), toByteOffset: block + offset, as: UInt16.self) }
    }
  }
  var layout = "plain"
  if let packing = kernel.packing, packing.accepts(rowLength: columns) {
    let packedRowBytes = packing.rowBytes(columns)
    let packed = UnsafeMutableRawPointer.allocate(byteCount: rows * packedRowBytes, alignment: 64)
    for r in 0..<rows { packing.pack(weights + r * rowBytes, columns, packed + r * packedRowBytes) }
    weights.deallocate()
    weights = packed
    rowBytes = packedRowBytes
    kernel = packing.kernel
    layout = "packed"
  }
  let tokens = 32
  let x = (0..<(tokens * columns)).map { _ in Float(Int(nextRandom() % 2001) - 1000) / 1000 }
  let aStride = kernel.activationRowBytes(columns)
  let activations = UnsafeMutableRawPointer.allocate(byteCount: tokens * aStride, alignment: 64)
  x.withUnsafeBufferPointer { xs in
    for t in 0..<tokens { kernel.prepare(xs.baseAddress! + t * columns, columns, into: activations + t * aStride) }
  }
  let out = UnsafeMutablePointer<Float>.allocate(capacity: tokens * rows)
  func pass(_ count: Int) -> Double {
    let start = now()
    for r in 0..<rows { kernel.simd(weights + r * rowBytes, activations, aStride, count, columns, out + r, rows) }
    return now() - start
  }
  // Passes of at least ~20 ms each (small matrices repeat), median of the runs.
  let repeats = max(1, 5632 / rows)
  func timed(_ count: Int) -> Double { (0..<repeats).reduce(0.0) { t, _ in t + pass(count) } / Double(repeats) }
  _ = timed(1)
  let vector = (0..<31).map { _ in timed(1) }.sorted()[15]
  _ = timed(tokens)
  let matrix = (0..<15).map { _ in timed(tokens) }.sorted()[7]
  let macs = Double(rows * columns)
  print(
    "{\"type\": \"\(name)\", \"kernel\": \"\(kernel.simdName)\", \"block\": \(kernel.block != nil), \"layout\": \"\(layout)\", \"matvec_gb_per_s\": \((Double(rows * rowBytes) / vector / 1e9 * 100).rounded() / 100), \"matvec_gmac_per_s\": \((macs / vector / 1e9 * 10).rounded() / 10), \"matmul32_gmac_per_s\": \((macs * Double(tokens) / matrix / 1e9 * 10).rounded() / 10)}"
  )
  weights.deallocate()
  activations.deallocate()
  out.deallocate()
}

// KERNEL_TILE=1: one 4×4 tile of the F16 block kernel on 512 columns, all in L1, many times.
if ProcessInfo.processInfo.environment["KERNEL_TILE"] != nil, let kernel = MatrixKernel.kernel(for: .f16), let block = kernel.block {
  let n = Int(ProcessInfo.processInfo.environment["TILE_N"] ?? "") ?? 512
  let tileRows = Int(ProcessInfo.processInfo.environment["TILE_ROWS"] ?? "") ?? 4
  let tileTokens = Int(ProcessInfo.processInfo.environment["TILE_TOKENS"] ?? "") ?? 4
  // KERNEL_TILE=2048: rows and activations as far apart as in a 2048-column matrix.
  let spacing = Int(ProcessInfo.processInfo.environment["KERNEL_TILE"]!) ?? n
  let w = UnsafeMutableRawPointer.allocate(byteCount: tileRows * spacing * 2, alignment: 64)
  for i in 0..<(tileRows * spacing) { w.storeBytes(of: UInt16(0x2400), toByteOffset: 2 * i, as: UInt16.self) }
  let x = UnsafeMutablePointer<Float>.allocate(capacity: tileTokens * spacing)
  x.initialize(repeating: 0.5, count: tileTokens * spacing)
  let out = UnsafeMutablePointer<Float>.allocate(capacity: tileRows * tileTokens)
  let iterations = 200_000 * 16 * 512 / (tileRows * tileTokens * n)
  let start = now()
  for _ in 0..<iterations { block(w, 2 * spacing, tileRows, x, 4 * spacing, tileTokens, n, out, tileRows) }
  let seconds = now() - start
  print("{\"tile\": \"f16 \(tileRows)x\(tileTokens) n=\(n)\", \"gmac_per_s\": \(Double(iterations * tileRows * tileTokens * n) / seconds / 1e9)}")
}
