extension Quantization {
  /// ggml's `quantize_iq4_nl` without an importance matrix (what llama-quantize runs, and its
  /// fallback for Q2_K/Q3_K rows that are not whole 256-blocks): per block of 32, weights x²,
  /// a first scale max/−(−127) refined by least squares, then 15 more candidate scales
  /// (itry − 127)/max, keeping the best weighted fit; the scale is stored as f16 and the
  /// indices are recomputed with the f32 scale.
  static let iq4_nl: Function = { x, n, out in
    let values = NonLinearQuants.values
    var indices = [UInt8](repeating: 0, count: 32)
    for b in 0..<(n / 32) {
      let xb = x + 32 * b, block = out + 18 * b
      var amax: Float = 0, largest: Float = 0
      for j in 0..<32 where abs(xb[j]) > amax {
        amax = abs(xb[j])
        largest = xb[j]
      }
      var scale: Float = 0
      if amax >= 1e-15 {
        // The weighted fit of the values to x for the inverse scale `id`.
        func fit(_ id: Float) -> (sumqx: Float, sumq2: Float) {
          var sumqx: Float = 0, sumq2: Float = 0
          for j in 0..<32 {
            let q = values[nearestValueIndex(id * xb[j])]
            let w = xb[j] * xb[j]
            sumqx += w * q * xb[j]
            sumq2 += w * q * q
          }
          return (sumqx, sumq2)
        }
        let first = fit(1 / (largest / 127))
        var d = first.sumqx / first.sumq2
        var best = d * first.sumqx
        for attempt in -7...7 {
          let (sumqx, sumq2) = fit(Float(attempt - 127) / largest)
          if sumq2 > 0 && sumqx * sumqx > best * sumq2 {
            d = sumqx / sumq2
            best = d * sumqx
          }
        }
        scale = d
      }
      block.storeBytes(of: FloatConversion.half(scale).littleEndian, as: UInt16.self)
      let id: Float = scale != 0 ? 1 / scale : 0
      for j in 0..<32 { indices[j] = UInt8(nearestValueIndex(id * xb[j])) }
      for j in 0..<16 { block.storeBytes(of: indices[j] | indices[j + 16] << 4, toByteOffset: 2 + j, as: UInt8.self) }
    }
  }

  /// ggml's `best_index_int8` over the IQ4_NL table: the index of the nearest value, the lower
  /// one on a tie.
  static func nearestValueIndex(_ x: Float) -> Int {
    let values = NonLinearQuants.values
    if x <= values[0] { return 0 }
    if x >= values[15] { return 15 }
    var low = 0, high = 15
    while high - low > 1 {
      let middle = (low + high) / 2
      if x < values[middle] { high = middle } else { low = middle }
    }
    return x - values[high - 1] < values[high] - x ? high - 1 : high
  }
}
