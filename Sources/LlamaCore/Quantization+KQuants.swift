/// ggml's reference quantizers of the K-quants with a minimum (`quantize_row_q4_K_ref`,
/// `quantize_row_q5_K_ref`, what llama-quantize runs without an importance matrix): per group
/// of 32 a scale and a minimum from `asymmetricLevels`, both quantized to 6 bits against one f16
/// d and dmin per 256, then the values requantized with the rounded scales. Float operations in
/// ggml's order, so that every choice is ggml's.
extension Quantization {
  static let q2_K: Function = { x, n, out in q2_KBlocks(x, n, out) }
  static let q3_K: Function = { x, n, out in q3_KBlocks(x, n, out) }
  static let q4_K: Function = { x, n, out in minimumKQuant(x, n, out, bits: 4, blockBytes: 144, rmin: -1, steps: 20) }
  static let q5_K: Function = { x, n, out in minimumKQuant(x, n, out, bits: 5, blockBytes: 176, rmin: -0.5, steps: 15) }

  /// ggml's `make_qkx2_quants` (`absoluteError` is its `use_mad`): levels 0…nmax of `n` values for x ≈ scale·l
  /// − minimum, trying (nmax + rmin + rdelta·k)/(max − min) for k in 0…steps with the
  /// least-squares scale and minimum of each, keeping the least weighted squared error (the best
  /// minimum so far becomes the start of the next candidate, as in ggml). Returns (scale,
  /// minimum as a positive offset).
  static func asymmetricLevels(
    _ x: UnsafePointer<Float>, _ weights: UnsafePointer<Float>, _ n: Int, nmax: Int32, rmin: Float, rdelta: Float, steps: Int,
    absoluteError: Bool = false, into levels: UnsafeMutablePointer<UInt8>, scratch: UnsafeMutablePointer<UInt8>
  ) -> (scale: Float, minimum: Float) {
    var low = x[0], high = x[0]
    var sumW = weights[0]
    var sumX = sumW * x[0]
    for i in 1..<n {
      if x[i] < low { low = x[i] }
      if x[i] > high { high = x[i] }
      sumW += weights[i]
      sumX += weights[i] * x[i]
    }
    if low > 0 { low = 0 }
    if high <= low {
      levels.update(repeating: 0, count: n)
      return (0, -low)
    }
    @inline(__always) func level(_ iscale: Float, _ i: Int) -> UInt8 {
      UInt8(truncatingIfNeeded: max(0, min(nmax, nearestInt(iscale * (x[i] - low)))))
    }
    var iscale = Float(nmax) / (high - low)
    var scale = 1 / iscale
    var bestError: Float = 0
    for i in 0..<n {
      levels[i] = level(iscale, i)
      let diff = scale * Float(levels[i]) + low - x[i]
      bestError += weights[i] * (absoluteError ? abs(diff) : diff * diff)
    }
    // As in ggml, the best minimum so far replaces `low`: later candidates start from it.
    for step in 0...steps {
      iscale = (rmin + rdelta * Float(step) + Float(nmax)) / (high - low)
      var sumL: Float = 0, sumL2: Float = 0, sumXL: Float = 0
      for i in 0..<n {
        let l = level(iscale, i)
        scratch[i] = l
        let w = weights[i], lf = Float(l)
        sumL += w * lf
        sumL2 += w * lf * lf
        sumXL += w * lf * x[i]
      }
      let determinant = sumW * sumL2 - sumL * sumL
      guard determinant > 0 else { continue }
      var thisScale = (sumW * sumXL - sumX * sumL) / determinant
      var thisMin = (sumL2 * sumX - sumL * sumXL) / determinant
      if thisMin > 0 {
        thisMin = 0
        thisScale = sumXL / sumL2
      }
      var error: Float = 0
      for i in 0..<n {
        let diff = thisScale * Float(scratch[i]) + thisMin - x[i]
        error += weights[i] * (absoluteError ? abs(diff) : diff * diff)
      }
      if error < bestError {
        levels.update(from: scratch, count: n)
        bestError = error
        scale = thisScale
        low = thisMin
      }
    }
    return (scale, -low)
  }

  /// Q4_K (4 bits, 144-byte blocks: d, dmin, 12 bytes of scales, 128 of nibbles) and Q5_K
  /// (5 bits, 176 bytes: the same, then 32 bytes of fifth bits before the nibbles).
  static func minimumKQuant(
    _ x: UnsafePointer<Float>, _ n: Int, _ out: UnsafeMutableRawPointer, bits: Int, blockBytes: Int, rmin: Float, steps: Int
  ) {
    let nmax = Int32(1 << bits) - 1
    var levels = [UInt8](repeating: 0, count: 256 + 32)
    var weights = [Float](repeating: 0, count: 32)
    var scales = [Float](repeating: 0, count: 8), mins = scales
    levels.withUnsafeMutableBufferPointer { levelBuffer in
      weights.withUnsafeMutableBufferPointer { weightBuffer in
        let l = levelBuffer.baseAddress!, scratch = l + 256, w = weightBuffer.baseAddress!
        for b in 0..<(n / 256) {
          let xb = x + 256 * b, block = out + blockBytes * b
          var maxScale: Float = 0, maxMin: Float = 0
          for g in 0..<8 {
            let xg = xb + 32 * g
            var sumX2: Float = 0
            for i in 0..<32 { sumX2 += xg[i] * xg[i] }
            let average = (sumX2 / 32).squareRoot()
            for i in 0..<32 { w[i] = average + abs(xg[i]) }
            (scales[g], mins[g]) = asymmetricLevels(
              xg, w, 32, nmax: nmax, rmin: rmin, rdelta: 0.1, steps: steps, into: l + 32 * g, scratch: scratch)
            if scales[g] > maxScale { maxScale = scales[g] }
            if mins[g] > maxMin { maxMin = mins[g] }
          }
          let inverseScale: Float = maxScale > 0 ? 63 / maxScale : 0
          let inverseMin: Float = maxMin > 0 ? 63 / maxMin : 0
          let packed = block + 4
          packed.initializeMemory(as: UInt8.self, repeating: 0, count: 12)
          for g in 0..<8 {
            let ls = min(63, UInt8(truncatingIfNeeded: nearestInt(inverseScale * scales[g])))
            let lm = min(63, UInt8(truncatingIfNeeded: nearestInt(inverseMin * mins[g])))
            func or(_ value: UInt8, _ offset: Int) {
              packed.storeBytes(of: packed.load(fromByteOffset: offset, as: UInt8.self) | value, toByteOffset: offset, as: UInt8.self)
            }
            if g < 4 {
              or(ls, g)
              or(lm, g + 4)
            } else {
              or(ls & 0xF | (lm & 0xF) << 4, g + 4)
              or((ls >> 4) << 6, g - 4)
              or((lm >> 4) << 6, g)
            }
          }
          let dBits = FloatConversion.half(maxScale / 63), dminBits = FloatConversion.half(maxMin / 63)
          block.storeBytes(of: dBits.littleEndian, as: UInt16.self)
          block.storeBytes(of: dminBits.littleEndian, toByteOffset: 2, as: UInt16.self)
          let d = FloatConversion.float(fromHalf: dBits), dmin = FloatConversion.float(fromHalf: dminBits)
          for g in 0..<8 {
            let (sc, m) = KQuants.scaleMin(packed, g)
            let groupScale = d * Float(sc)
            if groupScale == 0 { continue }
            let offset = dmin * Float(m)
            for i in 0..<32 {
              l[32 * g + i] = UInt8(truncatingIfNeeded: max(0, min(nmax, nearestInt((xb[32 * g + i] + offset) / groupScale))))
            }
          }
          // Nibbles: elements 64k + i and 64k + 32 + i share byte 32k + i; Q5_K's fifth bits go
          // to bit 2k (first) and 2k + 1 (second) of byte i of the 32-byte mask.
          let nibbles = block + (bits == 5 ? 48 : 16)
          if bits == 5 { (block + 16).initializeMemory(as: UInt8.self, repeating: 0, count: 32) }
          for k in 0..<4 {
            for i in 0..<32 {
              let first = l[64 * k + i], second = l[64 * k + 32 + i]
              nibbles.storeBytes(of: first & 0xF | (second & 0xF) << 4, toByteOffset: 32 * k + i, as: UInt8.self)
              if bits == 5 {
                let mask = (first >> 4) << (2 * k) | (second >> 4) << (2 * k + 1)
                let old = block.load(fromByteOffset: 16 + i, as: UInt8.self)
                block.storeBytes(of: old | mask, toByteOffset: 16 + i, as: UInt8.self)
              }
            }
          }
        }
      }
    }
  }

  /// `quantize_row_q2_K_ref`: per 16 values levels 0…3 with a minimum (`asymmetricLevels`
  /// weighted by |x|, absolute error); scales and minimums as 4-bit levels against f16 d and
  /// dmin. Block: 16 scale bytes (minimum level in the high nibble), 64 bytes of 2-bit levels,
  /// d, dmin.
  static func q2_KBlocks(_ x: UnsafePointer<Float>, _ n: Int, _ out: UnsafeMutableRawPointer) {
    var levels = [UInt8](repeating: 0, count: 256 + 16)
    var weights = [Float](repeating: 0, count: 16)
    var scales = [Float](repeating: 0, count: 16), mins = scales
    levels.withUnsafeMutableBufferPointer { levelBuffer in
      weights.withUnsafeMutableBufferPointer { weightBuffer in
        let l = levelBuffer.baseAddress!, scratch = l + 256, w = weightBuffer.baseAddress!
        for b in 0..<(n / 256) {
          let xb = x + 256 * b, block = out + 84 * b
          var maxScale: Float = 0, maxMin: Float = 0
          for g in 0..<16 {
            let xg = xb + 16 * g
            for i in 0..<16 { w[i] = abs(xg[i]) }
            (scales[g], mins[g]) = asymmetricLevels(
              xg, w, 16, nmax: 3, rmin: -0.5, rdelta: 0.1, steps: 15, absoluteError: true, into: l + 16 * g, scratch: scratch)
            if scales[g] > maxScale { maxScale = scales[g] }
            if mins[g] > maxMin { maxMin = mins[g] }
          }
          var packed = [UInt8](repeating: 0, count: 16)
          var dBits: UInt16 = 0, dminBits: UInt16 = 0
          if maxScale > 0 {
            let iscale = 15 / maxScale
            for g in 0..<16 { packed[g] = UInt8(truncatingIfNeeded: nearestInt(iscale * scales[g])) }
            dBits = FloatConversion.half(maxScale / 15)
          }
          if maxMin > 0 {
            let iscale = 15 / maxMin
            for g in 0..<16 { packed[g] |= UInt8(truncatingIfNeeded: nearestInt(iscale * mins[g]) << 4) }
            dminBits = FloatConversion.half(maxMin / 15)
          }
          for g in 0..<16 { block.storeBytes(of: packed[g], toByteOffset: g, as: UInt8.self) }
          block.storeBytes(of: dBits.littleEndian, toByteOffset: 80, as: UInt16.self)
          block.storeBytes(of: dminBits.littleEndian, toByteOffset: 82, as: UInt16.self)
          let d = FloatConversion.float(fromHalf: dBits), dmin = FloatConversion.float(fromHalf: dminBits)
          for g in 0..<16 {
            let groupScale = d * Float(packed[g] & 0xF)
            if groupScale == 0 { continue }
            let offset = dmin * Float(packed[g] >> 4)
            for i in 0..<16 {
              l[16 * g + i] = UInt8(truncatingIfNeeded: max(0, min(3, nearestInt((xb[16 * g + i] + offset) / groupScale))))
            }
          }
          storeTwoBitLevels(UnsafePointer(l), block + 16)
        }
      }
    }
  }

  /// Elements 128h + 32k + i at bits 2k of byte 32h + i (Q2_K and Q3_K).
  static func storeTwoBitLevels(_ l: UnsafePointer<UInt8>, _ q: UnsafeMutableRawPointer) {
    for h in 0..<2 {
      for i in 0..<32 {
        let j = 128 * h + i
        let byte = l[j] | l[j + 32] << 2 | l[j + 64] << 4 | l[j + 96] << 6
        q.storeBytes(of: byte, toByteOffset: 32 * h + i, as: UInt8.self)
      }
    }
  }

  /// ggml's `make_q3_quants` with its refinement (`do_rmse`): symmetric levels −nmax…nmax−1
  /// weighted by x², up to five passes moving single levels while the fit improves; stored with
  /// the +nmax offset.
  static func refinedSymmetricLevels(_ x: UnsafePointer<Float>, _ n: Int, nmax: Int32, into levels: UnsafeMutablePointer<Int8>) -> Float {
    let largest = extreme(x, count: n)
    if abs(largest) < groupMaxEpsilon {
      levels.update(repeating: 0, count: n)
      return 0
    }
    let iscale = -Float(nmax) / largest
    var sumLX: Float = 0, sumL2: Float = 0
    for i in 0..<n {
      let l = max(-nmax, min(nmax - 1, nearestInt(iscale * x[i])))
      levels[i] = Int8(truncatingIfNeeded: l)
      let w = x[i] * x[i], lf = Float(l)
      sumLX += w * x[i] * lf
      sumL2 += w * lf * lf
    }
    for _ in 0..<5 {
      var changed = false
      for i in 0..<n {
        let w = x[i] * x[i], current = Float(levels[i])
        var slx = sumLX - w * x[i] * current
        guard slx > 0 else { continue }
        var sl2 = sumL2 - w * current * current
        let newLevel = max(-nmax, min(nmax - 1, nearestInt(x[i] * sl2 / slx)))
        guard newLevel != Int32(levels[i]) else { continue }
        slx += w * x[i] * Float(newLevel)
        sl2 += w * Float(newLevel) * Float(newLevel)
        if sl2 > 0 && slx * slx * sumL2 > sumLX * sumLX * sl2 {
          levels[i] = Int8(truncatingIfNeeded: newLevel)
          sumLX = slx
          sumL2 = sl2
          changed = true
        }
      }
      if !changed { break }
    }
    for i in 0..<n { levels[i] = levels[i] &+ Int8(truncatingIfNeeded: nmax) }
    return sumL2 > 0 ? sumLX / sumL2 : 0
  }

  /// `quantize_row_q3_K_ref`: per 16 values a scale from `refinedSymmetricLevels` (levels
  /// −4…3); the 16 scales as 6-bit levels against f16 d = max / −32. Block: 32 bytes of high
  /// bits (element j at bit j / 32 of byte j % 32), 64 bytes of 2-bit levels, 12 bytes of
  /// scales (low nibbles, then the top two bits), d.
  static func q3_KBlocks(_ x: UnsafePointer<Float>, _ n: Int, _ out: UnsafeMutableRawPointer) {
    var levels = [Int8](repeating: 0, count: 256)
    var scales = [Float](repeating: 0, count: 16)
    levels.withUnsafeMutableBufferPointer { levelBuffer in
      let l = levelBuffer.baseAddress!
      for b in 0..<(n / 256) {
        let xb = x + 256 * b, block = out + 110 * b
        for g in 0..<16 { scales[g] = refinedSymmetricLevels(xb + 16 * g, 16, nmax: 4, into: l + 16 * g) }
        let maxScale = scales.withUnsafeBufferPointer { extreme($0.baseAddress!, count: 16) }
        var packed = [UInt8](repeating: 0, count: 12)
        var dBits: UInt16 = 0
        if maxScale != 0 {
          let iscale = -32 / maxScale
          for g in 0..<16 {
            let level = UInt8(truncatingIfNeeded: max(-32, min(31, Int32(Int8(truncatingIfNeeded: nearestInt(iscale * scales[g]))))) + 32)
            if g < 8 { packed[g] = level & 0xF } else { packed[g - 8] |= (level & 0xF) << 4 }
            packed[8 + g % 4] |= (level >> 4) << (2 * (g / 4))
          }
          dBits = FloatConversion.half(1 / iscale)
        }
        for i in 0..<12 { block.storeBytes(of: packed[i], toByteOffset: 96 + i, as: UInt8.self) }
        block.storeBytes(of: dBits.littleEndian, toByteOffset: 108, as: UInt16.self)
        let d = FloatConversion.float(fromHalf: dBits)
        for g in 0..<16 {
          let low = g < 8 ? packed[g] & 0xF : packed[g - 8] >> 4
          let scale = Int32(low | ((packed[8 + g % 4] >> (2 * (g / 4))) & 3) << 4) - 32
          let groupScale = d * Float(scale)
          if groupScale == 0 { continue }
          for i in 0..<16 {
            l[16 * g + i] = Int8(truncatingIfNeeded: max(-4, min(3, nearestInt(xb[16 * g + i] / groupScale))) + 4)
          }
        }
        var high = [UInt8](repeating: 0, count: 32)
        var twoBit = [UInt8](repeating: 0, count: 256)
        for j in 0..<256 {
          var level = UInt8(bitPattern: l[j])
          if level > 3 {
            high[j % 32] |= 1 << (j / 32)
            level -= 4
          }
          twoBit[j] = level
        }
        for i in 0..<32 { block.storeBytes(of: high[i], toByteOffset: i, as: UInt8.self) }
        twoBit.withUnsafeBufferPointer { storeTwoBitLevels($0.baseAddress!, block + 32) }
      }
    }
  }
}
