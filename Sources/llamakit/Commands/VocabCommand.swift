import ArgumentParser
import LlamaIO
import LlamaKit
import LlamaTokenizer

struct VocabCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "vocab",
    abstract: "Describe a vocabulary, look up pieces, or compare two vocabularies.",
    discussion: """
      Without options: model type, size, special and control ids, normalizer and trainer \
      flags, and piece counts by type. --id, --piece and --search list matching pieces with \
      id, score and type (a space in --piece or --search also matches '▁'). --diff lists \
      pieces only in one vocabulary and pieces with another id, score or type.

      Examples:
        llamakit vocab tokenizer.model
        llamakit vocab tokenizer.model --id 15043 --piece ▁world --search Hell
        llamakit vocab llama2/tokenizer.model --diff mistral/tokenizer.model --json
      """)

  @OptionGroup var options: TokenizerOptions

  @Option(help: ArgumentHelp("Show the piece with this id (repeatable).", valueName: "id"))
  var id: [Int64] = []

  @Option(help: ArgumentHelp("Show the piece spelled exactly so (repeatable).", valueName: "piece"))
  var piece: [String] = []

  @Option(help: ArgumentHelp("Show pieces containing this text.", valueName: "text"))
  var search: String?

  @Option(help: "Show at most this many pieces per list in text output (JSON lists everything).")
  var limit = 50

  @Option(help: ArgumentHelp("Compare with another tokenizer.", valueName: "tokenizer"))
  var diff: String?

  @Flag(help: "Print one JSON object.")
  var json = false

  func validate() throws {
    if limit < 0 { throw ValidationError("--limit must not be negative.") }
    if diff != nil && (!id.isEmpty || !piece.isEmpty || search != nil) {
      throw ValidationError("--diff compares whole vocabularies; --id, --piece and --search do not apply.")
    }
  }

  func run() throws {
    let tokenizer = try options.load()
    let vocabulary = tokenizer.vocabulary
    defer { StandardOutput.flush() }
    if let diff {
      let other = try ModelFiles.tokenizer(diff).vocabulary
      let report = VocabularyDiff(vocabulary, other)
      if json {
        StandardOutput.write(VocabularyReport.json(report, vocabulary, other).serialized(pretty: true) + "\n")
      } else {
        StandardOutput.write(VocabularyReport.text(report, vocabulary, other, limit: limit))
      }
      return
    }
    let matches = try selectedPieces(vocabulary)
    if json {
      var object = VocabularyReport.summary(tokenizer)
      if !id.isEmpty || !piece.isEmpty || search != nil {
        object["matches"] = .array(matches.map { VocabularyReport.pieceJSON($0, vocabulary) })
      }
      StandardOutput.write(JSON.object(object).serialized(pretty: true) + "\n")
    } else {
      StandardOutput.write(VocabularyReport.summaryText(tokenizer))
      if !id.isEmpty || !piece.isEmpty || search != nil {
        StandardOutput.write(VocabularyReport.table(matches, vocabulary, limit: limit))
      }
    }
  }

  /// Ids selected by --id, --piece and --search, in that order, without repeats.
  func selectedPieces(_ vocabulary: Vocabulary) throws -> [Int] {
    var result: [Int] = []
    var seen = Set<Int>()
    func add(_ id: Int) { if seen.insert(id).inserted { result.append(id) } }
    for value in id {
      guard value >= 0, value < Int64(vocabulary.count) else {
        throw TokenizerError.idOutOfRange(path: vocabulary.origin, id: value, vocabularySize: vocabulary.count)
      }
      add(Int(value))
    }
    // Matching is byte for byte: canonically equivalent spellings are different pieces.
    for text in piece {
      let spellings = Set([Array(text.utf8), Array(text.replacingOccurrencesOfSpace().utf8)])
      for (i, p) in vocabulary.pieces.enumerated() where spellings.contains(Array(p.utf8)) { add(i) }
    }
    if let search, !search.isEmpty {
      let needles = [Array(search.utf8), Array(search.replacingOccurrencesOfSpace().utf8)]
      for (i, p) in vocabulary.pieces.enumerated() {
        let bytes = Array(p.utf8)
        if needles.contains(where: { bytes.contains(subsequence: $0) }) { add(i) }
      }
    }
    return result
  }
}

extension Array where Element == UInt8 {
  func contains(subsequence needle: [UInt8]) -> Bool {
    guard !needle.isEmpty else { return true }
    guard needle.count <= count else { return false }
    for start in 0...(count - needle.count) where self[start] == needle[0] {
      if self[start..<(start + needle.count)].elementsEqual(needle) { return true }
    }
    return false
  }
}

extension String {
  /// Spaces written as SentencePiece's `▁`.
  func replacingOccurrencesOfSpace() -> String {
    String(unicodeScalars.map { $0 == " " ? "\u{2581}" : Character($0) })
  }
}
