import Benchmark
import Foundation
import LlamaCore
import LlamaKernels

// Kernel suite: per weight type, a 2048×2048 matrix (TinyLlama's attention projection) times one
// token and times 32 tokens, with the kernel the model uses on this CPU (packed rows, block
// kernels where the type has them); plus the activation quantizers and RMSNorm. Throughput is in
// calls per second: one call is rows × columns multiply-adds per token (4.19 M per token).

let columns = 2048, rows = 2048, batch = 32

/// Random rows of `type` with small f16 scales (random scale bits would give NaN and infinity).
func weights(_ type: DType) -> (UnsafeMutableRawPointer, Int, MatrixKernel) {
  var kernel = MatrixKernel.kernel(for: type)!
  var rowBytes = type.byteCount(elements: columns)!
  var state: UInt64 = 7
  var data = UnsafeMutableRawPointer.allocate(byteCount: rows * rowBytes, alignment: 64)
  for i in 0..<(rows * rowBytes) {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    data.storeBytes(of: UInt8(truncatingIfNeeded: state >> 33), toByteOffset: i, as: UInt8.self)
  }
  if type == .f16 || type == .bf16 {
    for i in 0..<(rows * columns) { data.storeBytes(of: type == .f16 ? UInt16(0x2400) : UInt16(0x3C80), toByteOffset: 2 * i, as: UInt16.self) }
  } else if type == .f32 {
    for i in 0..<(rows * columns) { data.storeBytes(of: Float(0.01), toByteOffset: 4 * i, as: Float.self) }
  } else {
    let offsets: [DType: [Int]] = [.q6_K: [208], .q4_K: [0, 2]]
    for block in stride(from: 0, to: rows * rowBytes, by: type.blockBytes) {
      for offset in offsets[type] ?? [0] { data.storeBytes(of: UInt16(0x1400), toByteOffset: block + offset, as: UInt16.self) }
    }
  }
  if let packing = kernel.packing, packing.accepts(rowLength: columns) {
    let packedRowBytes = packing.rowBytes(columns)
    let packed = UnsafeMutableRawPointer.allocate(byteCount: rows * packedRowBytes, alignment: 64)
    for r in 0..<rows { packing.pack(data + r * rowBytes, columns, packed + r * packedRowBytes) }
    data.deallocate()
    (data, rowBytes, kernel) = (packed, packedRowBytes, packing.kernel)
  }
  return (data, rowBytes, kernel)
}

func activations(_ kernel: MatrixKernel, tokens: Int) -> (UnsafeMutableRawPointer, Int) {
  let stride = kernel.activationRowBytes(columns)
  let out = UnsafeMutableRawPointer.allocate(byteCount: tokens * stride, alignment: 64)
  let x = (0..<columns).map { Float(($0 * 37) % 201 - 100) / 100 }
  x.withUnsafeBufferPointer { xs in
    for t in 0..<tokens { kernel.prepare(xs.baseAddress!, columns, into: out + t * stride) }
  }
  return (out, stride)
}

let benchmarks: @Sendable () -> Void = {
  Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput], maxDuration: .seconds(2))

  for type in [DType.f32, .f16, .bf16, .q8_0, .q4_0, .q4_K, .q6_K, .q5_K, .iq4_nl] {
    let (w, rowBytes, kernel) = weights(type)
    let (a, stride) = activations(kernel, tokens: batch)
    let out = UnsafeMutablePointer<Float>.allocate(capacity: rows * batch)
    Benchmark("\(type) matrix × vector (\(rows)×\(columns), \(kernel.simdName))") { benchmark in
      for _ in benchmark.scaledIterations {
        for r in 0..<rows { kernel.simd(w + r * rowBytes, a, stride, 1, columns, out + r, rows) }
        blackHole(out[0])
      }
    }
    Benchmark("\(type) matrix × \(batch) tokens") { benchmark in
      for _ in benchmark.scaledIterations {
        if let block = kernel.block {
          for r0 in Swift.stride(from: 0, to: rows, by: 32) { block(w + r0 * rowBytes, rowBytes, 32, a, stride, batch, columns, out + r0, rows) }
        } else {
          for r in 0..<rows { kernel.simd(w + r * rowBytes, a, stride, batch, columns, out + r, rows) }
        }
        blackHole(out[0])
      }
    }
  }

  let x = (0..<columns).map { Float($0 % 17) - 8 }
  let norm = [Float](repeating: 1, count: columns)
  var normed = [Float](repeating: 0, count: columns)
  Benchmark("RMSNorm of \(columns)") { benchmark in
    for _ in benchmark.scaledIterations {
      VectorOps.rmsNorm(x, norm, columns, eps: 1e-5, into: &normed)
      blackHole(normed[0])
    }
  }
  for format in [ActivationFormat.q8_0, .q8_K, .q8_0x] {
    var q = [UInt8](repeating: 0, count: format.bytes(for: columns))
    Benchmark("quantize \(columns) activations to \(format)") { benchmark in
      for _ in benchmark.scaledIterations {
        q.withUnsafeMutableBytes { ActivationQuantizer.function(format)(x, columns, $0.baseAddress!) }
        blackHole(q[0])
      }
    }
  }
}
