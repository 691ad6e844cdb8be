/// lm-eval's standard errors (`lm_eval/api/metrics.py`).
public enum Statistics {
  /// `mean_stderr`: the sample standard deviation (n − 1) over √n; nil ("N/A") for n ≤ 1.
  public static func meanStderr(_ x: [Double]) -> Double? {
    guard x.count > 1 else { return nil }
    return sampleStandardDeviation(x) / Double(x.count).squareRoot()
  }

  /// The first `count` values of CPython's `random.Random(seed).random()` (for tests).
  public static func pythonRandomForTests(seed: UInt32, count: Int) -> [Double] {
    var random = PythonRandom(seed: seed)
    return (0..<count).map { _ in random.random() }
  }

  public static func sampleStandardDeviation(_ x: [Double]) -> Double {
    let mean = x.reduce(0, +) / Double(x.count)
    return (x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count - 1)).squareRoot()
  }

  /// `bootstrap_stderr` of the perplexity aggregation exp(−mean(ll)): `iterations` resamples
  /// in chunks of 1000, chunk i drawn with Python's `random.Random(i).choices(xs, k=n)`; the
  /// sample standard deviation of the replicates. lm-eval's default is 100000 iterations.
  public static func bootstrapPerplexityStderr(_ ll: [Double], iterations: Int = 100_000) -> Double? {
    guard ll.count > 1, iterations > 0 else { return nil }
    let chunk = min(1000, iterations)
    var replicates: [Double] = []
    replicates.reserveCapacity(iterations)
    let n = ll.count
    for i in 0..<(iterations / chunk) {
      var random = PythonRandom(seed: UInt32(i))
      for _ in 0..<chunk {
        var sum = 0.0
        for _ in 0..<n { sum += ll[Int(random.random() * Double(n))] }
        replicates.append(exp(-sum / Double(n)))
      }
    }
    return sampleStandardDeviation(replicates)
  }
}

/// CPython's `random.Random` for a small integer seed: MT19937 seeded by `init_by_array([seed])`,
/// `random()` = (a·2^26 + b) / 2^53 from two 32-bit outputs (a >> 5, b >> 6).
struct PythonRandom {
  private var state = [UInt32](repeating: 0, count: 624)
  private var index = 624

  init(seed: UInt32) {
    state[0] = 19_650_218
    for i in 1..<624 { state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i) }
    // init_by_array with the key [seed].
    var i = 1, j = 0
    for _ in 0..<624 {
      state[i] = (state[i] ^ ((state[i - 1] ^ (state[i - 1] >> 30)) &* 1_664_525)) &+ seed &+ UInt32(j)
      i += 1
      j = 0
      if i >= 624 { state[0] = state[623]; i = 1 }
    }
    for _ in 0..<623 {
      state[i] = (state[i] ^ ((state[i - 1] ^ (state[i - 1] >> 30)) &* 1_566_083_941)) &- UInt32(i)
      i += 1
      if i >= 624 { state[0] = state[623]; i = 1 }
    }
    state[0] = 0x8000_0000
  }

  mutating func next() -> UInt32 {
    if index >= 624 {
      for k in 0..<624 {
        let y = (state[k] & 0x8000_0000) | (state[(k + 1) % 624] & 0x7FFF_FFFF)
        state[k] = state[(k + 397) % 624] ^ (y >> 1) ^ (y & 1 != 0 ? 0x9908_B0DF : 0)
      }
      index = 0
    }
    var y = state[index]
    index += 1
    y ^= y >> 11
    y ^= (y << 7) & 0x9D2C_5680
    y ^= (y << 15) & 0xEFC6_0000
    y ^= y >> 18
    return y
  }

  mutating func random() -> Double {
    let a = Double(next() >> 5), b = Double(next() >> 6)
    return (a * 67_108_864 + b) / 9_007_199_254_740_992
  }
}

#if canImport(Glibc)
  import Glibc
#endif
