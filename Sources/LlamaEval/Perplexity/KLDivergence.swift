import LlamaIO

/// llama-perplexity's KL-divergence mode (evaluation.md §4.4). A base run (`--kl-divergence-base
/// FILE`) writes its tokens and, for every scored position, the base model's log-probabilities
/// quantized to 16 bits; a candidate run (`--kl-divergence`) evaluates the same chunks of the same
/// tokens and compares: KL divergence, top-1 agreement, the change of the correct token's
/// probability, and both perplexities.
public enum KLDivergence {
  static let magic = Array("_logits_".utf8)

  /// The file's header: "_logits_", n_ctx, n_vocab, n_chunk (i32), then the tokens.
  public struct Header: Sendable, Equatable {
    public var contextLength: Int
    public var vocabularySize: Int
    public var chunks: Int
    public var tokens: [Int]

    public init(contextLength: Int, vocabularySize: Int, chunks: Int, tokens: [Int]) {
      self.contextLength = contextLength
      self.vocabularySize = vocabularySize
      self.chunks = chunks
      self.tokens = tokens
    }
  }

  /// Writes a base file: the header now, one record per scored row as they come.
  public final class BaseWriter {
    let file: AtomicFile
    let vocabulary: Int
    var record: [UInt16]

    public init(path: String, header: Header, overwrite: Bool = true) throws {
      file = try AtomicFile(path: path, overwrite: overwrite)
      vocabulary = header.vocabularySize
      record = [UInt16](repeating: 0, count: 2 * ((vocabulary + 1) / 2) + 4)
      var bytes = magic
      for value in [header.contextLength, header.vocabularySize, header.chunks] { bytes += le(Int32(value)) }
      for token in header.tokens { bytes += le(Int32(token)) }
      try file.write(bytes)
    }

    /// One row: scale and the smallest log-probability (f32), then a u16 per vocabulary entry.
    public func append(_ row: UnsafeBufferPointer<Float>) throws {
      var largest = row[0], smallest = row[0]
      for x in row {
        largest = max(largest, x)
        smallest = min(smallest, x)
      }
      var sum = 0.0
      for x in row { sum += Double(expf(x - largest)) }
      let logSumExp = Float(log(sum))
      let minimum = max(smallest, largest - 16)
      let scale = (largest - minimum) / 65535
      let minLogProb = minimum - largest - logSumExp
      let inverse: Float = scale > 0 ? 1 / scale : 0
      record.withUnsafeMutableBytes { raw in
        raw.storeBytes(of: scale.bitPattern.littleEndian, toByteOffset: 0, as: UInt32.self)
        raw.storeBytes(of: minLogProb.bitPattern.littleEndian, toByteOffset: 4, as: UInt32.self)
      }
      for i in 0..<vocabulary {
        let x = row[i]
        record[4 + i] = x > minimum ? UInt16(min(65535, (inverse * (x - minimum)).rounded(.toNearestOrEven))) : 0
      }
      try record.withUnsafeBytes { try file.write($0) }
    }

    public func finish() throws { try file.commit() }
  }

  public enum Failure: Error, CustomStringConvertible {
    case vocabularyMismatch(base: Int, model: Int)
    public var description: String {
      switch self {
      case .vocabularyMismatch(let base, let model):
        return "the base logits are over \(base) tokens, the model's vocabulary has \(model): not the same tokenizer"
      }
    }
  }

  static func le(_ value: Int32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * Int32($0))) } }

  /// A base file read back: the header and the records.
  public final class Base {
    public let header: Header
    let file: MappedFile
    let recordsStart: Int
    let recordLength: Int

    public init(path: String) throws {
      file = try MappedFile(path: path)
      var reader = file.reader()
      guard (try? reader.bytes(8, "magic")).map({ Array($0) }) == magic else {
        throw IOError.cannotOpen(path: path, reason: "not a llama-perplexity KL-divergence base file (no \"_logits_\" magic)")
      }
      let n = Int(try reader.i32("n_ctx")), vocabulary = Int(try reader.i32("n_vocab")), chunks = Int(try reader.i32("n_chunk"))
      guard n >= 4, vocabulary >= 1, chunks >= 1, n <= 1 << 20, vocabulary <= 1 << 24, chunks <= 1 << 24 else {
        throw IOError.cannotOpen(path: path, reason: "implausible header n_ctx \(n), n_vocab \(vocabulary), n_chunk \(chunks)")
      }
      // The size the header implies is checked before anything is allocated from it.
      recordsStart = 20 + 4 * n * chunks
      recordLength = 2 * (2 * ((vocabulary + 1) / 2) + 4)
      let (recordBytes, overflow) = (chunks * (n - 1 - n / 2)).multipliedReportingOverflow(by: recordLength)
      let (expected, overflow2) = recordsStart.addingReportingOverflow(recordBytes)
      guard !overflow, !overflow2, file.count == expected else {
        throw IOError.cannotOpen(path: path, reason: "\(file.count) bytes, the header describes \(overflow || overflow2 ? "more than 2^63" : String(expected))")
      }
      var tokens: [Int] = []
      tokens.reserveCapacity(n * chunks)
      for i in 0..<(n * chunks) {
        let token = Int(try reader.i32("token"))
        guard token >= 0 && token < vocabulary else {
          throw IOError.cannotOpen(path: path, reason: "token \(i) is \(token), outside the vocabulary of \(vocabulary)")
        }
        tokens.append(token)
      }
      header = Header(contextLength: n, vocabularySize: vocabulary, chunks: chunks, tokens: tokens)
    }

    /// Calls `body` with record `index`'s scale, smallest log-probability and quantized values.
    func withRecord<R>(_ index: Int, _ body: (Float, Float, UnsafePointer<UInt16>) throws -> R) rethrows -> R {
      try file.withUnsafeBytes { bytes in
        let base = bytes.baseAddress! + recordsStart + index * recordLength
        let scale = Float(bitPattern: base.loadUnaligned(as: UInt32.self).littleEndian)
        let minimum = Float(bitPattern: base.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian)
        return try body(scale, minimum, (base + 8).assumingMemoryBound(to: UInt16.self))
      }
    }
  }

  /// The statistics of a candidate run against a base file.
  public struct Comparison: Sendable {
    public var count = 0
    public var nll = 0.0, nll2 = 0.0, baseNLL = 0.0, baseNLL2 = 0.0, nllProduct = 0.0
    public var kld: [Double] = []
    public var probabilityDifferences: [Double] = []
    public var sameTop = 0
    /// Per scored token: whether the model's most likely token is the base's.
    public var topMatches: [Bool] = []

    public init() {}

    /// The fraction of matching top tokens in each run of `size` scored tokens (a chunk).
    public func sameTopFractions(per size: Int) -> [Double] {
      guard size > 0 else { return [] }
      return stride(from: 0, to: topMatches.count, by: size).map { start in
        let part = topMatches[start..<min(start + size, topMatches.count)]
        return Double(part.filter { $0 }.count) / Double(part.count)
      }
    }

    /// Compares one candidate row with base record `index` for the token `target`.
    mutating func add(_ row: UnsafeBufferPointer<Float>, base: Base, index: Int, target: Int) {
      var largest = row[0], top = 0
      for i in 1..<row.count where row[i] > largest {
        largest = row[i]
        top = i
      }
      var sum = 0.0
      for x in row { sum += Double(expf(x - largest)) }
      let logSumExp = Float(log(sum))
      let nll = Double(largest + logSumExp - row[target])
      base.withRecord(index) { scale, minimum, q in
        let baseNLL = Double(-(scale * Float(q[target]) + minimum))
        var divergence = 0.0
        var baseTop = 0
        var baseLargest: Float = 0
        let normalizer = largest + logSumExp
        for i in 0..<row.count {
          let logBase = scale * Float(q[i]) + minimum
          if i == 0 || logBase > baseLargest {
            baseLargest = logBase
            baseTop = i
          }
          if logBase > -16 { divergence += Double(expf(logBase) * (logBase - row[i] + normalizer)) }
        }
        self.nll += nll
        nll2 += nll * nll
        self.baseNLL += baseNLL
        baseNLL2 += baseNLL * baseNLL
        nllProduct += nll * baseNLL
        kld.append(divergence)
        probabilityDifferences.append(exp(-nll) - exp(-baseNLL))
        if top == baseTop { sameTop += 1 }
        topMatches.append(top == baseTop)
        count += 1
      }
    }

    public var perplexity: Double { exp(nll / Double(count)) }
    public var basePerplexity: Double { exp(baseNLL / Double(count)) }
    public var meanKLD: Double { kld.reduce(0, +) / Double(count) }
    /// llama-perplexity's ± of a mean: sqrt((E[x²] − E[x]²)/(n − 1)).
    static func meanError(_ x: [Double]) -> Double {
      guard x.count > 10 else { return 0 }
      let n = Double(x.count), mean = x.reduce(0, +) / n
      return ((x.reduce(0) { $0 + $1 * $1 } / n - mean * mean) / (n - 1)).squareRoot()
    }
    public var kldError: Double { Self.meanError(kld) }
    public var sameTopFraction: Double { Double(sameTop) / Double(count) }
    public var sameTopError: Double { (sameTopFraction * (1 - sameTopFraction) / Double(count - 1)).squareRoot() }
    /// ln(PPL(Q) / PPL(base)) with ± from the covariance of the two NLLs.
    public var logRatio: (value: Double, error: Double) {
      let n = Double(count)
      let a = nll / n, b = baseNLL / n
      let varA = (nll2 / n - a * a) / (n - 1), varB = (baseNLL2 / n - b * b) / (n - 1)
      let covariance = (nllProduct / n - a * b) / (n - 1)
      return (a - b, max(0, varA + varB - 2 * covariance).squareRoot())
    }
    public var rmsProbabilityDifference: Double {
      (probabilityDifferences.reduce(0) { $0 + $1 * $1 } / Double(count)).squareRoot()
    }
    /// The value at fraction `f` of the sorted values, interpolated at f·(n − 1).
    public static func percentile(_ sorted: [Double], _ f: Double) -> Double {
      guard !sorted.isEmpty else { return .nan }
      let position = f * Double(sorted.count - 1)
      let low = Int(position), high = min(low + 1, sorted.count - 1)
      return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
    }
  }

  /// Runs the candidate `model` over the base file's chunks and compares.
  public static func compare(
    _ model: LogitModel, base: Base, bos: Int?, progress: (Int, Int) -> Void = { _, _ in }
  ) throws -> (Comparison, ChunkedPerplexity.Result) {
    guard base.header.vocabularySize == model.vocabularySize else {
      throw Failure.vocabularyMismatch(base: base.header.vocabularySize, model: model.vocabularySize)
    }
    let header = base.header
    let perplexity = try ChunkedPerplexity(tokenCount: header.tokens.count, contextLength: header.contextLength, chunks: header.chunks, bos: bos)
    var comparison = Comparison()
    var index = 0
    let result = try perplexity.run(model, tokens: header.tokens, row: { row, target in
      comparison.add(row, base: base, index: index, target: target)
      index += 1
    }) { progress($0.chunks, header.chunks) }
    return (comparison, result)
  }
}

#if canImport(Glibc)
  import Glibc
#endif

