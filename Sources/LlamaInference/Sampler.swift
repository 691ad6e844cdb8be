#if canImport(Glibc)
  import Glibc
#endif

/// How the next token is chosen: greedy at temperature 0, otherwise llama.cpp's default chain
/// restricted to these steps, in its order: top-k, top-p (nucleus), temperature, then a draw.
public struct SamplingParameters: Sendable, Equatable {
  public var temperature: Float
  /// Keep the k most likely tokens (0: all).
  public var topK: Int
  /// Keep the smallest set of most likely tokens whose probability reaches p (1: all).
  public var topP: Float
  public var seed: UInt64

  public init(temperature: Float = 0.8, topK: Int = 40, topP: Float = 0.95, seed: UInt64 = 0) {
    self.temperature = temperature
    self.topK = topK
    self.topP = topP
    self.seed = seed
  }

  public static let greedy = SamplingParameters(temperature: 0)
}

/// Draws tokens from logits; deterministic for a given seed.
public struct Sampler: Sendable {
  public let parameters: SamplingParameters
  private var random: Xoshiro256

  public init(_ parameters: SamplingParameters) {
    self.parameters = parameters
    random = Xoshiro256(seed: parameters.seed)
  }

  /// The token to emit after `logits` (one row of vocabulary size).
  public mutating func sample(_ logits: [Float]) -> Int {
    guard parameters.temperature > 0 else { return Self.argmax(logits) }
    var candidates = Self.top(parameters.topK > 0 ? parameters.topK : logits.count, of: logits)
    // Top-p on the untempered distribution (llama.cpp applies temperature last).
    if parameters.topP < 1 {
      let probabilities = Self.softmax(candidates.map { Double(logits[$0]) })
      var cumulative = 0.0
      var keep = candidates.count
      for (i, p) in probabilities.enumerated() {
        cumulative += p
        if cumulative >= Double(parameters.topP) {
          keep = i + 1
          break
        }
      }
      candidates.removeSubrange(keep...)
    }
    let probabilities = Self.softmax(candidates.map { Double(logits[$0]) / Double(parameters.temperature) })
    let draw = random.nextDouble()
    var cumulative = 0.0
    for (i, p) in probabilities.enumerated() {
      cumulative += p
      if draw < cumulative { return candidates[i] }
    }
    return candidates[candidates.count - 1]
  }

  /// The index of the largest logit (the first one on ties).
  public static func argmax(_ logits: [Float]) -> Int {
    var best = 0
    for i in logits.indices where logits[i] > logits[best] { best = i }
    return best
  }

  /// Indices of the k largest logits, largest first (ties: lower index first).
  static func top(_ k: Int, of logits: [Float]) -> [Int] {
    if k >= logits.count {
      return logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
    }
    // A sorted buffer of the best k so far: most logits fail the first comparison.
    var best: [Int] = []
    best.reserveCapacity(k + 1)
    for i in logits.indices {
      if best.count == k, logits[i] <= logits[best[k - 1]] { continue }
      var j = best.count
      while j > 0, logits[best[j - 1]] < logits[i] { j -= 1 }
      best.insert(i, at: j)
      if best.count > k { best.removeLast() }
    }
    return best
  }

  static func softmax(_ values: [Double]) -> [Double] {
    let m = values.max() ?? 0
    let e = values.map { exp($0 - m) }
    let sum = e.reduce(0, +)
    return e.map { $0 / sum }
  }
}

/// xoshiro256** seeded by SplitMix64: a small, fast, reproducible generator.
struct Xoshiro256: Sendable {
  private var s: (UInt64, UInt64, UInt64, UInt64)

  init(seed: UInt64) {
    var x = seed
    func splitMix() -> UInt64 {
      x &+= 0x9E37_79B9_7F4A_7C15
      var z = x
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    s = (splitMix(), splitMix(), splitMix(), splitMix())
  }

  mutating func next() -> UInt64 {
    let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
    let t = s.1 << 17
    s.2 ^= s.0
    s.3 ^= s.1
    s.1 ^= s.2
    s.0 ^= s.3
    s.2 ^= t
    s.3 = s.3 << 45 | s.3 >> 19
    return result
  }

  /// Uniform in [0, 1) with 53 random bits.
  mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1p-53 }
}
