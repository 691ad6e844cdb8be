import LlamaCore

/// Dot products of one weight row with `tokens` activation rows: `out[t · outStride] =
/// w · a[t]`. Every kernel has this signature; the scalar references and the SIMD kernels are
/// interchangeable, which is how the tests compare them.
public typealias RowKernel = @Sendable (
  _ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ aStride: Int, _ tokens: Int, _ n: Int,
  _ out: UnsafeMutablePointer<Float>, _ outStride: Int
) -> Void

/// Dot products of `rows` consecutive weight rows (`rowBytes` apart) with `tokens` activation
/// rows: `out[t · outStride + r]`. Kernels that tile rows and tokens in registers have this
/// form; a row kernel run row by row computes the same.
public typealias BlockKernel = @Sendable (
  _ w: UnsafeRawPointer, _ rowBytes: Int, _ rows: Int, _ a: UnsafeRawPointer, _ aStride: Int, _ tokens: Int, _ n: Int,
  _ out: UnsafeMutablePointer<Float>, _ outStride: Int
) -> Void

/// The scalar references for block-quantized weights: decode each block to integers
/// (`BlockLayout`), multiply with the 8-bit activations in integers, and combine per block in
/// float exactly as ggml's generic `vec_dot` does:
/// - Q8_0 activations: `Σ_blocks float(Σ q·a) · (d_w · d_a)`
/// - Q8_1 activations: `… + m_w · s_a` (the weight minimum times the activation block sum)
/// - Q8_K activations: `Σ_blocks (d_a·d_w) · float(Σ_g scale_g Σ q·a) − (d_a·dmin_w) · float(Σ_g min_g · bsum_g)`
enum QuantizedReference {
  static func dot(_ layout: BlockLayout, _ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ n: Int) -> Float {
    var block = DecodedBlock()
    var sum: Float = 0
    let activation = layout.activation
    for b in 0..<(n / layout.blockSize) {
      layout.decode(w + layout.blockBytes * b, &block)
      let ab = a + activation.blockBytes * b
      // Block layouts pair with Q8_0, Q8_1 or Q8_K (q8_0x is the packed kernels' own).
      switch activation {
      case .q8_0, .q8_1, .q8_0x:
        let qs = activation == .q8_1 ? 4 : 2
        var isum: Int32 = 0
        for j in 0..<32 { isum += Int32(block.q[j]) * Int32(ab.load(fromByteOffset: qs + j, as: Int8.self)) }
        let da = halfAt(ab, 0)
        sum += Float(isum) * (block.d * da)
        if activation == .q8_1 { sum += block.dmin * halfAt(ab, 2) }
      case .q8_K:
        let da = Float(bitPattern: ab.loadUnaligned(as: UInt32.self).littleEndian)
        var isum: Int32 = 0
        var msum: Int32 = 0
        for e in stride(from: 0, to: 256, by: 16) {
          let g = e / layout.groupSize
          var part: Int32 = 0
          for j in e..<(e + 16) { part += Int32(block.q[j]) * Int32(ab.load(fromByteOffset: 4 + j, as: Int8.self)) }
          isum += block.scales[g] * part
          let bsum = Int32(Int16(littleEndian: ab.loadUnaligned(fromByteOffset: 260 + 2 * (e / 16), as: Int16.self)))
          msum += block.mins[g] * bsum
        }
        sum += (da * block.d) * Float(isum)
        if layout.hasMin { sum -= (da * block.dmin) * Float(msum) }
      }
    }
    return sum
  }

  static func rowKernel(_ layout: BlockLayout) -> RowKernel {
    { w, a, aStride, tokens, n, out, outStride in
      for t in 0..<tokens { out[t * outStride] = dot(layout, w, a + t * aStride, n) }
    }
  }
}

/// The SIMD path for every block type: decode the weight row once into int8 values and
/// per-16-element integer scales (scalar bit twiddling, shared by all tokens of a batch), then
/// integer dot products with AVX2 (`vpmaddubsw`/`vpmaddwd`) and the same per-block float
/// combination as the reference, so the result is identical to it.
enum QuantizedGeneric {
  static func rowKernel(_ layout: BlockLayout) -> RowKernel {
    { w, a, aStride, tokens, n, out, outStride in
      let blocks = n / layout.blockSize
      let groups = n / 16
      withUnsafeTemporaryAllocation(of: Int8.self, capacity: n) { q in
        withUnsafeTemporaryAllocation(of: Int16.self, capacity: 2 * groups) { scalesMins in
          withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * blocks) { dd in
            decodeRow(layout, w, blocks, q.baseAddress!, scalesMins.baseAddress!, dd.baseAddress!)
            for t in 0..<tokens {
              out[t * outStride] = dot(
                layout, q.baseAddress!, scalesMins.baseAddress!, dd.baseAddress!, a + t * aStride, blocks)
            }
          }
        }
      }
    }
  }

  /// q: n int8; scalesMins: per 16-group scale, then per 16-group min; dd: d, dmin per block.
  static func decodeRow(
    _ layout: BlockLayout, _ w: UnsafeRawPointer, _ blocks: Int, _ q: UnsafeMutablePointer<Int8>,
    _ scalesMins: UnsafeMutablePointer<Int16>, _ dd: UnsafeMutablePointer<Float>
  ) {
    var block = DecodedBlock()
    let bs = layout.blockSize
    let groups16 = blocks * bs / 16
    for b in 0..<blocks {
      layout.decode(w + layout.blockBytes * b, &block)
      block.q.withUnsafeBufferPointer { (q + bs * b).update(from: $0.baseAddress!, count: bs) }
      for g in 0..<(bs / 16) {
        let group = g * 16 / layout.groupSize
        scalesMins[bs / 16 * b + g] = Int16(block.scales[group])
        scalesMins[groups16 + bs / 16 * b + g] = Int16(block.mins[group])
      }
      dd[2 * b] = block.d
      dd[2 * b + 1] = block.dmin
    }
  }

  static func dot(
    _ layout: BlockLayout, _ q: UnsafePointer<Int8>, _ scalesMins: UnsafePointer<Int16>,
    _ dd: UnsafePointer<Float>, _ a: UnsafeRawPointer, _ blocks: Int
  ) -> Float {
    let activation = layout.activation
    var sum: Float = 0
    switch activation {
    case .q8_0, .q8_1, .q8_0x:
      let qs = activation == .q8_1 ? 4 : 2
      for b in 0..<blocks {
        let ab = a + activation.blockBytes * b
        let isum = AVX2.dot32(UnsafeRawPointer(q + 32 * b), ab + qs)
        let da = halfAt(ab, 0)
        sum += Float(isum) * (dd[2 * b] * da)
        if activation == .q8_1 { sum += dd[2 * b + 1] * halfAt(ab, 2) }
      }
    case .q8_K:
      let groups16 = blocks * 16
      for b in 0..<blocks {
        let ab = a + 292 * b
        let da = Float(bitPattern: ab.loadUnaligned(as: UInt32.self).littleEndian)
        let isum = AVX2.scaledDot256(UnsafeRawPointer(q + 256 * b), ab + 4, scalesMins + 16 * b)
        sum += (da * dd[2 * b]) * Float(isum)
        if layout.hasMin {
          let msum = AVX2.dot16x16(scalesMins + groups16 + 16 * b, ab + 260)
          sum -= (da * dd[2 * b + 1]) * Float(msum)
        }
      }
    }
    return sum
  }
}
