import LlamaCore
import Testing

@testable import LlamaKernels

@Suite("matrix kernels")
struct MatrixKernelTests {
  static let types = MatrixKernel.supportedTypes

  /// Activations of `tokens` rows, prepared for the kernel (reference or SIMD quantizer).
  func activations(_ kernel: MatrixKernel, _ x: [Float], tokens: Int, n: Int, reference: Bool) -> [UInt8] {
    let rowBytes = kernel.activationRowBytes(n)
    var out = [UInt8](repeating: 0, count: rowBytes * tokens)
    x.withUnsafeBufferPointer { xs in
      out.withUnsafeMutableBytes { raw in
        for t in 0..<tokens {
          kernel.prepare(xs.baseAddress! + n * t, n, into: raw.baseAddress! + rowBytes * t, reference: reference)
        }
      }
    }
    return out
  }

  func run(_ kernel: RowKernel, _ w: [UInt8], _ a: [UInt8], aStride: Int, tokens: Int, n: Int) -> [Float] {
    var out = [Float](repeating: .nan, count: tokens)
    w.withUnsafeBytes { wr in
      a.withUnsafeBytes { ar in
        out.withUnsafeMutableBufferPointer { kernel(wr.baseAddress!, ar.baseAddress!, aStride, tokens, n, $0.baseAddress!, 1) }
      }
    }
    return out
  }

  /// The activation row as the floats it stands for.
  func dequantizedActivations(_ format: ActivationFormat?, _ bytes: UnsafeRawPointer, n: Int) -> [Double] {
    guard let format else { return (0..<n).map { Double(bytes.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self)) } }
    return (0..<n).map { i -> Double in
      let block = bytes + format.blockBytes * (i / format.blockSize)
      let j = i % format.blockSize
      switch format {
      case .q8_0: return Double(FloatConversion.float(fromHalf: block.loadUnaligned(as: UInt16.self))) * Double(block.load(fromByteOffset: 2 + j, as: Int8.self))
      case .q8_1: return Double(FloatConversion.float(fromHalf: block.loadUnaligned(as: UInt16.self))) * Double(block.load(fromByteOffset: 4 + j, as: Int8.self))
      case .q8_K: return Double(block.loadUnaligned(as: Float.self)) * Double(block.load(fromByteOffset: 4 + j, as: Int8.self))
      case .q8_0x:
        let b = j / 32, e = j % 32
        let d = Double(block.loadUnaligned(fromByteOffset: 4 * b, as: Float.self))
        return d * Double(block.load(fromByteOffset: 64 + 128 * (b / 4) + 64 * (e / 16) + 16 * (b % 4) + e % 16, as: Int8.self))
      }
    }
  }

  @Test("SIMD activation quantizers equal the scalar references", arguments: [ActivationFormat.q8_0, .q8_1, .q8_K])
  func activationQuantizers(format: ActivationFormat) {
    var rng = SplitMix64(seed: 7)
    let n = 1024
    var x = (0..<n).map { _ in rng.float() * 3 }
    x[5] = 0; x[300] = -7.5  // a signed maximum in one block
    for j in 512..<768 { x[j] = 0 }  // an all-zero block
    for j in 800..<832 { x[j] = Float(j % 4) - 1.5 }  // exact halves: the rounding rule shows
    let reference = [UInt8](unsafeUninitializedCapacity: format.bytes(for: n)) { buffer, count in
      ActivationQuantizer.function(format, reference: true)(x, n, UnsafeMutableRawPointer(buffer.baseAddress!))
      count = format.bytes(for: n)
    }
    let simd = [UInt8](unsafeUninitializedCapacity: format.bytes(for: n)) { buffer, count in
      ActivationQuantizer.function(format)(x, n, UnsafeMutableRawPointer(buffer.baseAddress!))
      count = format.bytes(for: n)
    }
    #expect(reference == simd)
    // And they stand for x within half a quantization step.
    let values = reference.withUnsafeBytes { dequantizedActivations(format, $0.baseAddress!, n: n) }
    for i in 0..<n {
      let block = i / format.blockSize * format.blockSize
      let amax = x[block..<(block + format.blockSize)].map(abs).max()!
      // Half a step, plus the f16 rounding of the scale times up to 127 steps (Q8_0, Q8_1).
      #expect(abs(values[i] - Double(x[i])) <= Double(amax) / 127 * (format == .q8_K ? 0.5001 : 0.57) + 1e-7)
    }
  }

  @Test("SIMD and reference kernels agree; both equal the dequantized dot product", arguments: types)
  func kernels(type: DType) throws {
    let kernel = try #require(MatrixKernel.kernel(for: type))
    var rng = SplitMix64(seed: UInt64(type.ggmlID ?? 0) + 11)
    let n = 768, tokens = 5
    let w = randomWeights(type, rows: 1, n: n, rng: &rng)
    let x = (0..<(n * tokens)).map { _ in rng.float() }
    let a = activations(kernel, x, tokens: tokens, n: n, reference: true)
    #expect(a == activations(kernel, x, tokens: tokens, n: n, reference: false))
    let aStride = kernel.activationRowBytes(n)
    let reference = run(kernel.reference, w, a, aStride: aStride, tokens: tokens, n: n)
    // The weights as floats, by LlamaCore's independent dequantizers.
    let weights = try w.withUnsafeBytes { raw in
      try [Float](unsafeUninitializedCapacity: n) { buffer, count in
        try Dequantization.dequantize(type, raw, count: n, into: buffer.baseAddress!, reference: true)
        count = n
      }
    }
    for t in 0..<tokens {
      let values = a.withUnsafeBytes { dequantizedActivations(kernel.activation, $0.baseAddress! + aStride * t, n: n) }
      var exact = 0.0, magnitude = 0.0
      for i in 0..<n {
        exact += Double(weights[i]) * values[i]
        magnitude += abs(Double(weights[i]) * values[i])
      }
      // Float rounding of n products and the f16 block sums (Q8_1's s) bound the difference.
      let tolerance = magnitude * 2e-6 + (kernel.activation == .q8_1 ? magnitude * 2e-3 : 0)
      #expect(abs(Double(reference[t]) - exact) <= tolerance, "\(type) token \(t): reference \(reference[t]) vs \(exact)")
      for (name, variant) in kernel.variants {
        let simd = run(variant, w, a, aStride: aStride, tokens: tokens, n: n)
        #expect(abs(Double(simd[t]) - Double(reference[t])) <= magnitude * 2e-6, "\(type) \(name) token \(t): SIMD \(simd[t]) vs \(reference[t])")
      }
    }
  }

  static let packedTypes = MatrixKernel.supportedTypes.filter { MatrixKernel.kernel(for: $0)?.packing != nil }

  @Test("packed rows: pack/unpack round trip; packed kernels equal the plain reference", arguments: packedTypes)
  func packed(type: DType) throws {
    let plain = try #require(MatrixKernel.kernel(for: type))
    let packing = try #require(plain.packing)
    let kernel = packing.kernel
    var rng = SplitMix64(seed: 99)
    let n = 768, tokens = 7
    let w = randomWeights(type, rows: 1, n: n, rng: &rng)
    var packed = [UInt8](repeating: 0, count: packing.rowBytes(n)), back = [UInt8](repeating: 0, count: w.count)
    w.withUnsafeBytes { src in packed.withUnsafeMutableBytes { packing.pack(src.baseAddress!, n, $0.baseAddress!) } }
    packed.withUnsafeBytes { src in back.withUnsafeMutableBytes { packing.unpack(src.baseAddress!, n, $0.baseAddress!) } }
    #expect(back == w)
    #expect(packed != w)
    let x = (0..<(n * tokens)).map { _ in rng.float() }
    let a = activations(kernel, x, tokens: tokens, n: n, reference: true)
    #expect(a == activations(kernel, x, tokens: tokens, n: n, reference: false))
    let aPlain = activations(plain, x, tokens: tokens, n: n, reference: true)
    let plainReference = run(plain.reference, w, aPlain, aStride: plain.activationRowBytes(n), tokens: tokens, n: n)
    let reference = run(kernel.reference, packed, a, aStride: kernel.activationRowBytes(n), tokens: tokens, n: n)
    #expect(reference == plainReference)
    for (name, variant) in kernel.variants {
      let simd = run(variant, packed, a, aStride: kernel.activationRowBytes(n), tokens: tokens, n: n)
      for t in 0..<tokens {
        let magnitude = Double(abs(plainReference[t])) + 1
        #expect(abs(Double(simd[t]) - Double(reference[t])) <= magnitude * 1e-5, "\(type) \(name) token \(t): \(simd[t]) vs \(reference[t])")
      }
    }
  }

  @Test("block kernels (several rows at once) equal the row kernels", arguments: MatrixKernel.supportedTypes.filter { MatrixKernel.kernel(for: $0)?.block != nil })
  func blocks(type: DType) throws {
    let kernel = try #require(MatrixKernel.kernel(for: type))
    let block = try #require(kernel.block)
    var rng = SplitMix64(seed: 5)
    // Not multiples of the tiles: every edge path runs; 1100 columns span several column chunks.
    for (n, rows, tokens) in [(300, 7, 6), (1100, 9, 9), (700, 11, 8)] {  // 6-row tiles, leftovers, a 4-row tile
      let rowBytes = type.byteCount(elements: n)!
      let w = randomWeights(type, rows: rows, n: n, rng: &rng)
      let x = (0..<(n * tokens)).map { _ in rng.float() }
      let a = activations(kernel, x, tokens: tokens, n: n, reference: true)
      var blocked = [Float](repeating: .nan, count: rows * tokens), single = blocked
      w.withUnsafeBytes { wr in
        a.withUnsafeBytes { ar in
          blocked.withUnsafeMutableBufferPointer {
            block(wr.baseAddress!, rowBytes, rows, ar.baseAddress!, 4 * n, tokens, n, $0.baseAddress!, rows)
          }
          single.withUnsafeMutableBufferPointer { out in
            for r in 0..<rows { kernel.reference(wr.baseAddress! + r * rowBytes, ar.baseAddress!, 4 * n, tokens, n, out.baseAddress! + r, rows) }
          }
        }
      }
      for i in 0..<(rows * tokens) {
        #expect(abs(blocked[i] - single[i]) <= 1e-4 * (abs(single[i]) + 1), "\(type) n \(n) [\(i)]: \(blocked[i]) vs \(single[i])")
      }
    }
  }

  @Test("every weight type of the GGUF fixtures has a kernel")
  func coverage() {
    for type in [DType.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_nl, .iq4_xs] {
      #expect(MatrixKernel.kernel(for: type) != nil, "\(type)")
    }
  }
}
