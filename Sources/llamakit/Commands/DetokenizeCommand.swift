import ArgumentParser
import LlamaIO
import LlamaTokenizer

struct DetokenizeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "detokenize",
    abstract: "Decode token ids into text.",
    discussion: """
      Ids come from the arguments (separated by spaces or commas; brackets are ignored, so \
      the output of 'tokenize --json' pastes as is) or, without any, from stdin. Control \
      tokens (BOS, EOS, …) print nothing, as in sentencepiece; for a tokenizer.json, special \
      tokens are skipped as the tokenizers library's decode does by default.

      Examples:
        llamakit detokenize tokenizer.model 15043 3186
        llamakit tokenize tokenizer.model "Hello" --ids | llamakit detokenize tokenizer.model
        llamakit detokenize tokenizer.model --input-jsonl encoded.jsonl
      """)

  @OptionGroup var options: TokenizerOptions

  @Argument(help: "Token ids.")
  var ids: [String] = []

  @Option(name: .customLong("input-jsonl"), help: ArgumentHelp(
    "Batch mode: read JSON lines with an \"ids\" array, write each object back with \"text\" added ('-' for stdin).",
    valueName: "file"))
  var inputJSONL: String?

  @Flag(help: "Print one JSON object with ids and text.")
  var json = false

  func validate() throws {
    if inputJSONL != nil && !ids.isEmpty {
      throw ValidationError("--input-jsonl reads its ids from the file; do not also give ids.")
    }
  }

  func run() throws {
    let tokenizer = try options.load()
    defer { StandardOutput.flush() }
    if let inputJSONL {
      let source = inputJSONL == "-" ? "<stdin>" : inputJSONL
      try JSONLines.forEachObject(in: inputJSONL) { object, line in
        guard let items = object["ids"]?.arrayValue else {
          throw JSONLines.LineError(source: source, line: line, detail: "expected an \"ids\" array field")
        }
        var values: [Int64] = []
        for item in items {
          guard let value = item.intValue else {
            throw JSONLines.LineError(source: source, line: line, detail: "\"ids\" holds \(item.kindName), not a token id")
          }
          values.append(value)
        }
        var result = object
        do {
          result["text"] = .string(try tokenizer.decode(IDList.checked(values, for: tokenizer)))
        } catch let error as TokenizerError {
          throw JSONLines.LineError(source: source, line: line, detail: "\(error)")
        }
        StandardOutput.write(JSON.object(result).serialized() + "\n")
      }
      return
    }
    let words: [String]
    if ids.isEmpty {
      let input = try TextInput.read(argument: nil, file: "-")
      words = [input]
    } else {
      words = ids
    }
    let sequence = try IDList.checked(IDList.parse(words), for: tokenizer)
    let text = try tokenizer.decode(sequence)
    if json {
      let object = JSONObject([("ids", .array(sequence.map { .int(Int64($0)) })), ("text", .string(text))])
      StandardOutput.write(JSON.object(object).serialized() + "\n")
    } else {
      StandardOutput.write(text + "\n")
    }
  }
}

/// Token ids written by people or scripts: "1 2 3", "1,2,3", "[1, 2, 3]".
enum IDList {
  static func parse(_ words: [String]) throws -> [Int64] {
    var result: [Int64] = []
    for word in words {
      for part in word.split(whereSeparator: { " \t\n\r,[]".contains($0) }) {
        guard let value = Int64(part) else {
          throw ValidationError("'\(part)' is not a token id (expected integers).")
        }
        result.append(value)
      }
    }
    return result
  }

  /// The ids, each checked to be in the tokenizer's vocabulary.
  static func checked(_ values: [Int64], for tokenizer: any Tokenizer) throws -> [TokenID] {
    let size = tokenizer.vocabulary.count
    return try values.map { value in
      guard value >= 0, value < Int64(size) else {
        throw TokenizerError.idOutOfRange(path: tokenizer.vocabulary.origin, id: value, vocabularySize: size)
      }
      return TokenID(value)
    }
  }
}
