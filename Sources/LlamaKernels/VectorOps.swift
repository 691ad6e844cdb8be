import _Builtin_intrinsics.intel

#if canImport(Glibc)
  import Glibc
#endif

/// The element-wise and per-row operations of the forward pass.
public enum VectorOps {
  /// RMSNorm: `out_i = x_i / sqrt(mean(x²) + eps) · weight_i`; the sum of squares in double
  /// (as ggml's `ggml_float`).
  public static func rmsNorm(
    _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ n: Int, eps: Float, into out: UnsafeMutablePointer<Float>
  ) {
    var sum = SIMD4<Double>()
    var i = 0
    while i + 8 <= n {
      let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
      let low = SIMD4<Double>(v.lowHalf), high = SIMD4<Double>(v.highHalf)
      sum.addProduct(low, low)
      sum.addProduct(high, high)
      i += 8
    }
    var total = sum.sum()
    while i < n {
      total += Double(x[i]) * Double(x[i])
      i += 1
    }
    let scale = Float(1 / (total / Double(n) + Double(eps)).squareRoot())
    let s = SIMD8<Float>(repeating: scale)
    i = 0
    while i + 8 <= n {
      let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
      let w = UnsafeRawPointer(weight + i).loadUnaligned(as: SIMD8<Float>.self)
      UnsafeMutableRawPointer(out + i).storeBytes(of: v * s * w, as: SIMD8<Float>.self)
      i += 8
    }
    while i < n {
      out[i] = x[i] * scale * weight[i]
      i += 1
    }
  }

  /// The rotation table of one position for RoPE on interleaved pairs: cos and sin of
  /// `position · theta^(−2i/headDim)` for i in 0..<headDim/2, computed in double.
  public static func ropeTable(position: Int, headDim: Int, theta: Float, into table: UnsafeMutablePointer<Float>) {
    let half = headDim / 2
    for i in 0..<half {
      let frequency = pow(Double(theta), -2 * Double(i) / Double(headDim))
      let angle = Double(position) * frequency
      table[i] = Float(cos(angle))
      table[half + i] = Float(sin(angle))
    }
  }

  /// Rotates `heads` consecutive heads of `x` in place: pairs (x[2i], x[2i+1]) within each head
  /// (the interleaved layout of Meta's and GGUF's q/k rows).
  public static func rope(_ x: UnsafeMutablePointer<Float>, heads: Int, headDim: Int, table: UnsafePointer<Float>) {
    let half = headDim / 2
    for h in 0..<heads {
      let v = x + h * headDim
      for i in 0..<half {
        let c = table[i], s = table[half + i]
        let x0 = v[2 * i], x1 = v[2 * i + 1]
        v[2 * i] = x0 * c - x1 * s
        v[2 * i + 1] = x0 * s + x1 * c
      }
    }
  }

  /// `gate_i · sigmoid(gate_i) · up_i` into `gate` (SwiGLU).
  public static func swiGLU(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, _ n: Int) {
    var i = 0
    let one = SIMD8<Float>(repeating: 1)
    while i + 8 <= n {
      let g = UnsafeRawPointer(gate + i).loadUnaligned(as: SIMD8<Float>.self)
      let u = UnsafeRawPointer(up + i).loadUnaligned(as: SIMD8<Float>.self)
      let silu = g / (one + exp8(-g))
      UnsafeMutableRawPointer(gate + i).storeBytes(of: silu * u, as: SIMD8<Float>.self)
      i += 8
    }
    while i < n {
      gate[i] = gate[i] / (1 + expf(-gate[i])) * up[i]
      i += 1
    }
  }

  /// Softmax of `scale · x[0..<n]` in place; the row sums to 1. (The maximum of the scaled row
  /// is the scaled maximum, rounded the same way, so scaling first or here gives equal results.)
  public static func softmax(_ x: UnsafeMutablePointer<Float>, _ n: Int, scale: Float = 1) {
    let maximum = largest(x, n) * scale
    let m = SIMD8<Float>(repeating: maximum), s = SIMD8<Float>(repeating: scale)
    var sums = SIMD8<Float>()
    var i = 0
    while i + 8 <= n {
      let e = exp8(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self) * s - m)
      UnsafeMutableRawPointer(x + i).storeBytes(of: e, as: SIMD8<Float>.self)
      sums += e
      i += 8
    }
    var sum = Double(sums.sum())
    while i < n {
      x[i] = expf(x[i] * scale - maximum)
      sum += Double(x[i])
      i += 1
    }
    let normalizer = Float(1 / sum)
    for j in 0..<n { x[j] *= normalizer }
  }

  /// The largest of x[0..<n] (−∞ for none), eight lanes at a time.
  @inline(__always)
  public static func largest(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var maxima = SIMD8<Float>(repeating: -.infinity)
    var i = 0
    while i + 8 <= n {
      maxima = _mm256_max_ps(maxima, UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self))
      i += 8
    }
    var maximum = AVX2.max(maxima)
    while i < n {
      maximum = max(maximum, x[i])
      i += 1
    }
    return maximum
  }

  /// The largest of x[0..<n] and log Σ e^(x − largest), the exponentials in f32 and their sum
  /// in f64 (as llama.cpp's perplexity sums them): log-softmax(x)[i] = x[i] − largest − logSum.
  public static func logSumExp(_ x: UnsafePointer<Float>, _ n: Int) -> (largest: Float, logSum: Double) {
    let largest = largest(x, n)
    let m = SIMD8<Float>(repeating: largest)
    var low = SIMD4<Double>(), high = SIMD4<Double>()
    var i = 0
    while i + 8 <= n {
      let e = exp8(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self) - m)
      low += _mm256_cvtps_pd(e.lowHalf)
      high += _mm256_cvtps_pd(e.highHalf)
      i += 8
    }
    var sum = (low + high).sum()
    while i < n {
      sum += Double(expf(x[i] - largest))
      i += 1
    }
    return (largest, log(sum))
  }

  /// `y += a · x` over n floats.
  @inline(__always)
  public static func addScaled(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ a: Float, _ n: Int) {
    var i = 0
    let s = SIMD8<Float>(repeating: a)
    while i + 8 <= n {
      var v = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
      v.addProduct(s, UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self))
      UnsafeMutableRawPointer(y + i).storeBytes(of: v, as: SIMD8<Float>.self)
      i += 8
    }
    while i < n {
      y[i] += a * x[i]
      i += 1
    }
  }

  /// Σ x·y over n floats.
  @inline(__always)
  public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
    var i = 0
    while i + 16 <= n {
      acc0.addProduct(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self), UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self))
      acc1.addProduct(UnsafeRawPointer(x + i + 8).loadUnaligned(as: SIMD8<Float>.self), UnsafeRawPointer(y + i + 8).loadUnaligned(as: SIMD8<Float>.self))
      i += 16
    }
    var sum = AVX2.sum(acc0 + acc1)
    while i < n {
      sum += x[i] * y[i]
      i += 1
    }
    return sum
  }

  /// e^x lane by lane: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6 polynomial, 2^n by
  /// the exponent bits. Relative error below 2 ulp on [−87, 88]; below that the result is 0.
  @inline(__always)
  public static func exp8(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let clamped = _mm256_min_ps(_mm256_max_ps(x, SIMD8(repeating: -87.3)), SIMD8(repeating: 88.37))
    let n = _mm256_cvtepi32_ps(_mm256_cvtps_epi32(clamped * SIMD8(repeating: 1.442_695_04)))  // round to nearest
    // ln2 in two parts (Cephes): n · 0.693359375 is exact in f32.
    var r = clamped - n * SIMD8(repeating: 0.693_359_375)
    r = r + n * SIMD8(repeating: 2.121_944_4e-4)
    var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
    p = _mm256_fmadd_ps(p, r, SIMD8(repeating: 1.398_199_95e-3))
    p = _mm256_fmadd_ps(p, r, SIMD8(repeating: 8.333_451_9e-3))
    p = _mm256_fmadd_ps(p, r, SIMD8(repeating: 4.166_579_6e-2))
    p = _mm256_fmadd_ps(p, r, SIMD8(repeating: 1.666_666_55e-1))
    p = _mm256_fmadd_ps(p, r, SIMD8(repeating: 5.000_000_1e-1))
    p = _mm256_fmadd_ps(p, r * r, r) + SIMD8(repeating: 1)
    let bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23)
    let result = p * _mm256_castsi256_ps(bits)
    // Below the clamp, e^x underflows: report 0 (softmax of −inf scores). x < −87.3 exactly when
    // x + 87.3 is negative, whose sign bit selects the zero (a vector compare without a
    // generic SIMD mask, which compiles lane by lane).
    return _mm256_blendv_ps(result, SIMD8<Float>(), x + SIMD8(repeating: 87.3))
  }
}
