import ArgumentParser
import LlamaIO
import LlamaTokenizer

struct TokenizeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tokenize",
    abstract: "Encode text into token ids and pieces.",
    discussion: """
      The text comes from the TEXT argument, from --file, or from stdin (verbatim: a trailing \
      newline is part of the text). A tokenizer.model or tokenizer.bin is applied exactly as \
      sentencepiece does; a tokenizer.json as the Hugging Face tokenizers library does \
      (--verbose says which).

      Examples:
        llamakit tokenize tokenizer.model "Hello world"
        llamakit tokenize models/llama2 --file prompt.txt --bos --ids
        llamakit tokenize tokenizer.json --input-jsonl texts.jsonl > encoded.jsonl
      """)

  enum Format: String, EnumerableFlag {
    case ids, pieces, json
    static func help(for value: Format) -> ArgumentHelp? {
      switch value {
      case .ids: return "Print the ids on one line, separated by spaces."
      case .pieces: return "Print the pieces on one line, separated by spaces."
      case .json: return "Print one JSON object with text, ids and pieces."
      }
    }
  }

  @OptionGroup var options: TokenizerOptions

  @Argument(help: "Text to encode (default: --file or stdin).")
  var text: String?

  @Option(name: .shortAndLong, help: "Read the text from this file ('-' for stdin).")
  var file: String?

  @Option(name: .customLong("input-jsonl"), help: ArgumentHelp(
    "Batch mode: read JSON lines with a \"text\" field, write each object back with \"ids\" and \"pieces\" added ('-' for stdin).",
    valueName: "file"))
  var inputJSONL: String?

  @Flag(help: "Prepend the BOS token.")
  var bos = false

  @Flag(help: "Append the EOS token.")
  var eos = false

  @Flag(exclusivity: .exclusive, help: "Output format (default: one 'id<TAB>piece' line per token).")
  var format: Format?

  func validate() throws {
    if text != nil && file != nil {
      throw ValidationError("Give the text either as an argument or with --file, not both.")
    }
    if inputJSONL != nil && (text != nil || file != nil) {
      throw ValidationError("--input-jsonl reads its texts from the file; do not also give TEXT or --file.")
    }
    if inputJSONL != nil && format != nil {
      throw ValidationError("--input-jsonl always writes JSON lines; --ids, --pieces and --json do not apply.")
    }
  }

  func run() throws {
    let tokenizer = try options.load()
    let specials = try SpecialTokens(tokenizer: tokenizer, bos: bos, eos: eos)
    defer { StandardOutput.flush() }
    if let inputJSONL {
      try JSONLines.forEachObject(in: inputJSONL) { object, line in
        guard let text = object["text"]?.stringValue else {
          throw JSONLines.LineError(
            source: inputJSONL == "-" ? "<stdin>" : inputJSONL, line: line,
            detail: "expected a \"text\" string field")
        }
        let ids = specials.wrap(tokenizer.encode(text))
        var result = object
        result["ids"] = .array(ids.map { .int(Int64($0)) })
        result["pieces"] = .array(tokenizer.pieces(ids).map { .string($0) })
        StandardOutput.write(JSON.object(result).serialized() + "\n")
      }
      return
    }
    let input = try TextInput.read(argument: text, file: file)
    let ids = specials.wrap(tokenizer.encode(input))
    let pieces = tokenizer.pieces(ids)
    switch format {
    case .ids:
      StandardOutput.write(ids.map(String.init).joined(separator: " ") + "\n")
    case .pieces:
      StandardOutput.write(pieces.map(PieceText.escaped).joined(separator: " ") + "\n")
    case .json:
      let object = JSONObject([
        ("text", .string(input)),
        ("ids", .array(ids.map { .int(Int64($0)) })),
        ("pieces", .array(pieces.map { .string($0) })),
      ])
      StandardOutput.write(JSON.object(object).serialized() + "\n")
    case nil:
      for (id, piece) in zip(ids, pieces) {
        StandardOutput.write("\(id)\t\(PieceText.escaped(piece))\n")
      }
    }
  }
}

/// BOS/EOS requested on the command line, checked to exist in the vocabulary.
struct SpecialTokens {
  var bos: TokenID?
  var eos: TokenID?

  init(tokenizer: any Tokenizer, bos: Bool, eos: Bool) throws {
    let ids = tokenizer.vocabulary.specialIDs
    let origin = tokenizer.vocabulary.origin
    if bos {
      guard let id = ids.bos else { throw TokenizerError.missingSpecialToken(path: origin, name: "BOS") }
      self.bos = id
    }
    if eos {
      guard let id = ids.eos else { throw TokenizerError.missingSpecialToken(path: origin, name: "EOS") }
      self.eos = id
    }
  }

  func wrap(_ ids: [TokenID]) -> [TokenID] {
    (bos.map { [$0] } ?? []) + ids + (eos.map { [$0] } ?? [])
  }
}

/// Pieces printed on a terminal: control characters escaped so each piece stays on its line.
enum PieceText {
  static func escaped(_ piece: String) -> String {
    var result = ""
    for scalar in piece.unicodeScalars {
      switch scalar {
      case "\n": result += "\\n"
      case "\t": result += "\\t"
      case "\r": result += "\\r"
      case "\\": result += "\\\\"
      case _ where scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value):
        result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
      default:
        result.unicodeScalars.append(scalar)
      }
    }
    return result
  }
}
