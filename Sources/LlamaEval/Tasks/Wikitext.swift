import LlamaIO
import LlamaTokenizer

/// lm-eval's `wikitext` task (evaluation.md §2.9): WikiText-2's raw files split into articles
/// as the `EleutherAI/wikitext_document_level` builder splits them, each scored with
/// `loglikelihood_rolling` on its detokenized text, and word perplexity, byte perplexity and
/// bits per byte counted on the original article.
public enum Wikitext {
  /// The articles of a wiki.*.raw file: a new one starts at each top-level `= Title =` line
  /// (after "= = =" → "===" and "= =" → "==", stripped); lines keep their text, joined by "\n".
  public static func articles(_ text: String) -> [String] {
    var pages: [String] = []
    var lines: [Substring] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      let normalized = String(line).replacingAll("= = =", with: "===").replacingAll("= =", with: "==").strippingPythonWhitespace()
      if normalized.hasPrefix("= ") && normalized.hasSuffix(" =") {
        let page = lines.joined(separator: "\n")
        if !page.strippingPythonWhitespace().isEmpty { pages.append(page) }
        lines = []
      }
      lines.append(line)
    }
    pages.append(lines.joined(separator: "\n"))
    return pages
  }

  /// `wikitext_detokenizer`: WikiText's tokenization undone, rule by rule in lm-eval's order.
  public static func detokenize(_ page: String) -> String {
    var s = page.replacingAll("s '", with: "s'")
    s = s.replacingDigitQuirk()
    for (from, to) in [(" @-@ ", "-"), (" @,@ ", ","), (" @.@ ", "."), (" : ", ": "), (" ; ", "; "), (" . ", ". "), (" ! ", "! "), (" ? ", "? "), (" , ", ", ")] {
      s = s.replacingAll(from, with: to)
    }
    for (open, close) in [("(", ")"), ("[", "]"), ("{", "}"), ("\"", "\""), ("'", "'")] {
      s = s.trimmingInsidePairs(open: open.unicodeScalars.first!, close: close.unicodeScalars.first!)
    }
    for (from, to) in [("= = = =", "===="), ("= = =", "==="), ("= =", "=="), (" \u{B0} ", "\u{B0}"), (" \n", "\n"), ("\n ", "\n"), (" N ", " 1 "), (" 's", "'s")] {
      s = s.replacingAll(from, with: to)
    }
    return s
  }

  /// Words as lm-eval counts them: `len(re.split(r"\s+", page))`, the maximal whitespace runs
  /// plus one (empty strings at either end count).
  public static func wordCount(_ page: String) -> Int {
    var runs = 0
    var inRun = false
    for scalar in page.unicodeScalars {
      let space = scalar.isPythonWhitespace
      if space && !inRun { runs += 1 }
      inRun = space
    }
    return runs + 1
  }

  /// The corpus metrics of documents' (log-likelihood, words, bytes).
  public struct Metrics: Sendable, Equatable {
    public var logLikelihood = 0.0
    public var words = 0
    public var bytes = 0
    public init() {}
    public mutating func add(logLikelihood: Double, page: String) {
      self.logLikelihood += logLikelihood
      words += Wikitext.wordCount(page)
      bytes += page.utf8.count
    }
    public var wordPerplexity: Double { exp(-logLikelihood / Double(words)) }
    public var bytePerplexity: Double { exp(-logLikelihood / Double(bytes)) }
    public var bitsPerByte: Double { -logLikelihood / Double(bytes) / log(2) }
  }
}

extension Unicode.Scalar {
  /// Python's `str.isspace()` / `\s` in a str pattern.
  var isPythonWhitespace: Bool {
    switch value {
    case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
    default: return false
    }
  }
}

extension String {
  /// Python's `str.strip()`.
  func strippingPythonWhitespace() -> String {
    let scalars = Array(unicodeScalars)
    guard let first = scalars.firstIndex(where: { !$0.isPythonWhitespace }) else { return "" }
    let last = scalars.lastIndex(where: { !$0.isPythonWhitespace })!
    var view = String.UnicodeScalarView()
    view.append(contentsOf: scalars[first...last])
    return String(view)
  }

  /// `re.sub(r"/' [0-9]/", r"/'[0-9]/", s)`: lm-eval's rule, replicated literally (the pattern
  /// has slashes around it, so it only matches "/' 5/"-like text).
  func replacingDigitQuirk() -> String {
    let s = Array(unicodeScalars)
    var out = String.UnicodeScalarView()
    var i = 0
    var changed = false
    while i < s.count {
      if i + 5 <= s.count, s[i] == "/", s[i + 1] == "'", s[i + 2] == " ", ("0"..."9").contains(s[i + 3]), s[i + 4] == "/" {
        out.append(contentsOf: "/'[0-9]/".unicodeScalars)
        i += 5
        changed = true
      } else {
        out.append(s[i])
        i += 1
      }
    }
    return changed ? String(out) : self
  }

  /// `re.sub(r"O\s*([^C]*?)\s*C", r"O\1C", s)` for an opening and closing character: from
  /// each opening character to the next closing one, the whitespace just inside is removed.
  func trimmingInsidePairs(open: Unicode.Scalar, close: Unicode.Scalar) -> String {
    let s = Array(unicodeScalars)
    var out = String.UnicodeScalarView()
    var i = 0
    var changed = false
    while i < s.count {
      // A match needs a closing character after the opening one (for quotes: the next quote).
      if s[i] == open, let end = s[(i + 1)...].firstIndex(of: close) {
        var lo = i + 1, hi = end
        while lo < hi && s[lo].isPythonWhitespace { lo += 1 }
        while hi > lo && s[hi - 1].isPythonWhitespace { hi -= 1 }
        out.append(open)
        out.append(contentsOf: s[lo..<hi])
        out.append(close)
        changed = changed || lo != i + 1 || hi != end
        i = end + 1
      } else {
        out.append(s[i])
        i += 1
      }
    }
    return changed ? String(out) : self
  }
}

#if canImport(Glibc)
  import Glibc
#endif

extension Wikitext {
  /// lm-eval's `wikitext` task: the articles of `wikitext-2-raw/wiki.test.raw`.
  static let task = EvaluationTask(
    name: "wikitext", kind: .rolling, version: 2.0, metrics: ["word_perplexity", "byte_perplexity", "bits_per_byte"]
  ) { data in
    let file = "wikitext-2-raw/wiki.test.raw"
    let documents = articles(try data.text(file, task: "wikitext")).map { page in
      EvaluationTask.Document(row: .object(JSONObject([("page", .string(page))])), text: "", continuation: detokenize(page), target: detokenize(page))
    }
    return (documents, [])
  }
}
