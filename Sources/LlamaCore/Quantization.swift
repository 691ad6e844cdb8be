/// Writing f32 values in a storage type: the float conversions and ggml's reference quantizers
/// (`quantize_row_*_ref`, which llama-quantize uses), so that a file LlamaKit writes has the
/// bytes llama.cpp's tools would write from the same values.
public enum Quantization {
  /// Writes `count` values (whole blocks of the type) from `source` to `destination`.
  public typealias Function = @Sendable (UnsafePointer<Float>, Int, UnsafeMutableRawPointer) -> Void

  /// The encoder of `type`, nil where LlamaKit has no quantizer for it yet.
  public static func encoder(for type: DType) -> Function? {
    switch type {
    case .f32: return f32
    case .f16: return f16
    case .bf16: return bf16
    case .q8_0: return q8_0
    case .q4_0: return q4_0
    case .q4_1: return q4_1
    case .q5_0: return q5_0
    case .q5_1: return q5_1
    case .q2_K: return q2_K
    case .q3_K: return q3_K
    case .q4_K: return q4_K
    case .q5_K: return q5_K
    case .q6_K: return q6_K
    case .iq4_nl: return iq4_nl
    default: return nil
    }
  }

  static let f32: Function = { x, n, out in
    for i in 0..<n { out.storeBytes(of: x[i].bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
  }

  static let f16: Function = { x, n, out in
    for i in 0..<n { out.storeBytes(of: FloatConversion.half(x[i]).littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
  }

  static let bf16: Function = { x, n, out in
    for i in 0..<n { out.storeBytes(of: FloatConversion.bfloat16(x[i]).littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
  }

  /// `quantize_row_q8_0_ref`: d = max|x| / 127 (as f16), q = round(x / d), halves away from zero.
  static let q8_0: Function = { x, n, out in
    for b in 0..<(n / 32) {
      let xb = x + 32 * b, block = out + 34 * b
      var amax: Float = 0
      for j in 0..<32 { amax = max(amax, abs(xb[j])) }
      let d = amax / 127
      let id: Float = d != 0 ? 1 / d : 0
      block.storeBytes(of: FloatConversion.half(d).littleEndian, as: UInt16.self)
      for j in 0..<32 {
        block.storeBytes(of: clamped((xb[j] * id).rounded(), to: -127...127), toByteOffset: 2 + j, as: Int8.self)
      }
    }
  }

  /// `quantize_row_q4_0_ref`: d = (the value of largest magnitude) / −8 (as f16); element j and
  /// j + 16 share a byte (low and high nibble), q = min(15, trunc(x / d + 8.5)).
  static let q4_0: Function = { x, n, out in
    for b in 0..<(n / 32) {
      let xb = x + 32 * b, block = out + 18 * b
      let d = extreme(xb) / -8
      let id: Float = d != 0 ? 1 / d : 0
      block.storeBytes(of: FloatConversion.half(d).littleEndian, as: UInt16.self)
      for j in 0..<16 {
        let low = clamped(xb[j] * id + 8.5, to: 0...15), high = clamped(xb[16 + j] * id + 8.5, to: 0...15)
        block.storeBytes(of: UInt8(low) | UInt8(high) << 4, toByteOffset: 2 + j, as: UInt8.self)
      }
    }
  }

  /// `quantize_row_q4_1_ref`: d = (max − min) / 15 and m = min (both f16), q = min(15,
  /// trunc((x − min) / d + 0.5)); nibbles as Q4_0's.
  static let q4_1: Function = { x, n, out in
    for b in 0..<(n / 32) {
      let xb = x + 32 * b, block = out + 20 * b
      let (low, id) = storeScaleAndMinimum(xb, levels: 15, block)
      for j in 0..<16 {
        let q0 = clamped((xb[j] - low) * id + 0.5, to: 0...15), q1 = clamped((xb[16 + j] - low) * id + 0.5, to: 0...15)
        block.storeBytes(of: UInt8(q0) | UInt8(q1) << 4, toByteOffset: 4 + j, as: UInt8.self)
      }
    }
  }

  /// `quantize_row_q5_0_ref`: d = (the value of largest magnitude) / −16, q = min(31,
  /// trunc(x / d + 16.5)); low nibbles as Q4_0's, the fifth bits in a 32-bit mask before them.
  static let q5_0: Function = { x, n, out in
    for b in 0..<(n / 32) {
      let xb = x + 32 * b, block = out + 22 * b
      let d = extreme(xb) / -16
      let id: Float = d != 0 ? 1 / d : 0
      block.storeBytes(of: FloatConversion.half(d).littleEndian, as: UInt16.self)
      storeFiveBits(block + 2, { clamped(xb[$0] * id + 16.5, to: 0...31) })
    }
  }

  /// `quantize_row_q5_1_ref`: d = (max − min) / 31 and m = min, q = trunc((x − min) / d + 0.5).
  static let q5_1: Function = { x, n, out in
    for b in 0..<(n / 32) {
      let xb = x + 32 * b, block = out + 24 * b
      let (low, id) = storeScaleAndMinimum(xb, levels: 31, block)
      storeFiveBits(block + 4, { clamped((xb[$0] - low) * id + 0.5, to: 0...31) })
    }
  }

  /// Q4_1's and Q5_1's block header: d = (max − min) / levels and m = min of 32 values (both
  /// f16, as ggml scans and rounds them); returns the minimum and 1/d (0 for a constant block).
  @inline(__always)
  static func storeScaleAndMinimum(_ x: UnsafePointer<Float>, levels: Float, _ block: UnsafeMutableRawPointer) -> (Float, Float) {
    var low = Float.greatestFiniteMagnitude, high = -Float.greatestFiniteMagnitude
    for j in 0..<32 {
      if x[j] < low { low = x[j] }
      if x[j] > high { high = x[j] }
    }
    let d = (high - low) / levels
    block.storeBytes(of: FloatConversion.half(d).littleEndian, as: UInt16.self)
    block.storeBytes(of: FloatConversion.half(low).littleEndian, toByteOffset: 2, as: UInt16.self)
    return (low, d != 0 ? 1 / d : 0)
  }

  /// The first of `count` values with the largest magnitude (sign kept), as ggml scans them.
  @inline(__always)
  static func extreme(_ x: UnsafePointer<Float>, count: Int = 32) -> Float {
    var amax: Float = 0, value: Float = 0
    for j in 0..<count where amax < abs(x[j]) {
      amax = abs(x[j])
      value = x[j]
    }
    return value
  }

  /// 32 five-bit values: a little-endian mask of their fifth bits (element j at bit j), then
  /// their low nibbles, element j and j + 16 sharing a byte.
  @inline(__always)
  static func storeFiveBits(_ p: UnsafeMutableRawPointer, _ value: (Int) -> Int8) {
    var high: UInt32 = 0
    for j in 0..<16 {
      let q0 = UInt8(value(j)), q1 = UInt8(value(16 + j))
      p.storeBytes(of: q0 & 0x0F | (q1 & 0x0F) << 4, toByteOffset: 4 + j, as: UInt8.self)
      high |= UInt32(q0 >> 4 & 1) << j | UInt32(q1 >> 4 & 1) << (j + 16)
    }
    p.storeBytes(of: high.littleEndian, as: UInt32.self)
  }

  /// C's `(int8_t)v` (truncation) limited to `range`, for values that are in range unless the
  /// input held NaN or infinity (then 0 or the nearer end, never a trap).
  @inline(__always)
  static func clamped(_ v: Float, to range: ClosedRange<Int8>) -> Int8 {
    if v.isNaN { return 0 }
    if v >= Float(range.upperBound) { return range.upperBound }
    if v <= Float(range.lowerBound) { return range.lowerBound }
    return Int8(v)
  }

  /// ggml's `nearest_int`: round half to even through the float adder (exact for |v| < 2^22;
  /// anything else, NaN included, gives some value rather than a trap).
  @inline(__always)
  static func nearestInt(_ v: Float) -> Int32 {
    let bits = Int32(bitPattern: (v + 12_582_912).bitPattern)
    return (bits & 0x007F_FFFF) - 0x0040_0000
  }

  /// ggml's GROUP_MAX_EPS: groups whose largest magnitude is below it count as all zeros.
  static let groupMaxEpsilon: Float = 1e-15

  /// ggml's `make_qx_quants` with weights x² (rmse_type 1, no importance matrix): symmetric
  /// levels −nmax…nmax−1 of `n` values, stored with the +nmax offset in `levels`; tries the
  /// scale −(nmax + 0.1·k)/max for k in −9…9 and keeps the one of least weighted squared error.
  /// Float operations in ggml's order, so that the chosen levels are ggml's.
  static func symmetricLevels(_ x: UnsafePointer<Float>, _ n: Int, nmax: Int32, into levels: UnsafeMutablePointer<Int8>) -> Float {
    let largest = extreme(x, count: n)
    if abs(largest) < groupMaxEpsilon {
      levels.update(repeating: 0, count: n)
      return 0
    }
    @inline(__always) func level(_ iscale: Float, _ i: Int) -> Int32 { max(-nmax, min(nmax - 1, nearestInt(iscale * x[i]))) }
    /// Σ w·x·l and Σ w·l² with w = x², as ggml sums them.
    @inline(__always) func sums(_ iscale: Float) -> (Float, Float) {
      var sumlx: Float = 0, suml2: Float = 0
      for i in 0..<n {
        let l = Float(level(iscale, i)), w = x[i] * x[i]
        sumlx += w * x[i] * l
        suml2 += w * l * l
      }
      return (sumlx, suml2)
    }
    var iscale = -Float(nmax) / largest
    for i in 0..<n { levels[i] = Int8(truncatingIfNeeded: level(iscale, i) + nmax) }
    var (sumlx, suml2) = sums(iscale)
    var scale: Float = suml2 != 0 ? sumlx / suml2 : 0
    var best = scale * sumlx
    for step in -9...9 where step != 0 {
      iscale = -(Float(nmax) + 0.1 * Float(step)) / largest
      (sumlx, suml2) = sums(iscale)
      if suml2 > 0 && sumlx * sumlx > best * suml2 {
        for i in 0..<n { levels[i] = Int8(truncatingIfNeeded: level(iscale, i) + nmax) }
        scale = sumlx / suml2
        best = scale * sumlx
      }
    }
    return scale
  }

  /// `quantize_row_q6_K_ref`: per 16 values a scale from `symmetricLevels` (32 levels each
  /// side); the 16 scales as int8 against one f16 d = max scale / −128; the values requantized
  /// with their rounded scale to 6 bits (+32), stored as ggml lays them out (ql 128 bytes, qh
  /// 64, scales 16, d).
  static let q6_K: Function = { x, n, out in
    var levels = [Int8](repeating: 0, count: 256)
    var scales = [Float](repeating: 0, count: 16)
    levels.withUnsafeMutableBufferPointer { levels in
      let l = levels.baseAddress!
      for b in 0..<(n / 256) {
        let xb = x + 256 * b, block = out + 210 * b
        for g in 0..<16 { scales[g] = symmetricLevels(xb + 16 * g, 16, nmax: 32, into: l + 16 * g) }
        let maxScale = scales.withUnsafeBufferPointer { extreme($0.baseAddress!, count: 16) }
        if abs(maxScale) < groupMaxEpsilon {
          block.initializeMemory(as: UInt8.self, repeating: 0, count: 210)
          continue
        }
        let iscale = -128 / maxScale
        let dBits = FloatConversion.half(1 / iscale)
        block.storeBytes(of: dBits.littleEndian, toByteOffset: 208, as: UInt16.self)
        let d = FloatConversion.float(fromHalf: dBits)
        for g in 0..<16 {
          let q = Int8(truncatingIfNeeded: min(127, nearestInt(iscale * scales[g])))
          block.storeBytes(of: q, toByteOffset: 192 + g, as: Int8.self)
          let groupScale = d * Float(q)
          if groupScale == 0 { continue }
          for i in 0..<16 {
            l[16 * g + i] = Int8(truncatingIfNeeded: max(-32, min(31, nearestInt(xb[16 * g + i] / groupScale))) + 32)
          }
        }
        for half in 0..<2 {
          let base = 128 * half, ql = block + 64 * half, qh = block + 128 + 32 * half
          for i in 0..<32 {
            let q0 = UInt8(bitPattern: l[base + i]), q1 = UInt8(bitPattern: l[base + i + 32])
            let q2 = UInt8(bitPattern: l[base + i + 64]), q3 = UInt8(bitPattern: l[base + i + 96])
            ql.storeBytes(of: q0 & 0xF | (q2 & 0xF) << 4, toByteOffset: i, as: UInt8.self)
            ql.storeBytes(of: q1 & 0xF | (q3 & 0xF) << 4, toByteOffset: i + 32, as: UInt8.self)
            qh.storeBytes(of: q0 >> 4 | (q1 >> 4) << 2 | (q2 >> 4) << 4 | (q3 >> 4) << 6, toByteOffset: i, as: UInt8.self)
          }
        }
      }
    }
  }
}
