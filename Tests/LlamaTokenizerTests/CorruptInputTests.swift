import Foundation
import LlamaIO
import LlamaTokenizer
import Testing

/// Malformed tokenizer files and inputs give a `TokenizerError` or `IOError` naming the file,
/// never a crash.
@Suite("corrupt input")
struct CorruptInputTests {
  static let llama2Model = Fixtures.modelPath("llama2")

  func load(_ bytes: [UInt8], name: String = "tokenizer.model") throws -> any Tokenizer {
    try bytes.withUnsafeBytes { try TokenizerLoader.load($0, name: name, origin: "test/\(name)") }
  }

  func message(_ body: () throws -> Void) -> String? {
    do {
      try body()
      return nil
    } catch {
      return "\(error)"
    }
  }

  /// Offsets where a top-level ModelProto field ends: a protobuf cut there is still a valid
  /// (shorter) message, so it may load.
  static func fieldBoundaries(_ bytes: [UInt8]) -> Set<Int> {
    var result: Set<Int> = [0]
    var i = 0
    func varint() -> Int {
      var value = 0
      var shift = 0
      while i < bytes.count {
        let b = bytes[i]
        i += 1
        value |= Int(b & 0x7F) << shift
        shift += 7
        if b & 0x80 == 0 { break }
      }
      return value
    }
    while i < bytes.count {
      _ = varint()
      i += varint()
      result.insert(i)
    }
    return result
  }

  @Test("truncated tokenizer.model", arguments: ["spm-bpe-1k", "llama2"])
  func truncatedModel(model: String) throws {
    let bytes = try MappedFile(path: Fixtures.modelPath(model)).contents
    let boundaries = Self.fieldBoundaries(bytes)
    // The small model one byte either side of every field boundary, and at every 3rd byte of
    // its first and last 500 bytes;
    // Llama 2 at spaced points and through its specs (each cut is a full load: under a second).
    var cuts: Set<Int> = []
    if model == "llama2" {
      cuts.formUnion(stride(from: 1, to: bytes.count - 300, by: 99_959))
      cuts.formUnion(stride(from: bytes.count - 300, to: bytes.count, by: 23))
    } else {
      for boundary in boundaries { cuts.formUnion([boundary - 1, boundary + 1]) }
      cuts.formUnion(stride(from: 0, to: 500, by: 3))
      cuts.formUnion(stride(from: bytes.count - 500, to: bytes.count, by: 3))
      cuts = cuts.filter { $0 >= 0 && $0 < bytes.count }
    }
    var loaded = 0
    for cut in cuts.sorted() {
      let error = message { _ = try load(Array(bytes[0..<cut])) }
      if let error {
        #expect(error.hasPrefix("test/tokenizer.model: "), "\(error)")
      } else {
        #expect(boundaries.contains(cut), "cut at \(cut) (not a field boundary) loaded")
        loaded += 1
      }
    }
    #expect(loaded < 5)
  }

  @Test("garbage and wrong-kind tokenizer.model")
  func garbageModel() throws {
    var generator = SystemRandomNumberGenerator()
    for size in [0, 1, 2, 7, 100, 4096] {
      let garbage = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
      let error = message { _ = try load(garbage) }
      #expect(error?.hasPrefix("test/tokenizer.model: ") == true, "\(error ?? "loaded")")
    }
    // A valid protobuf that is a Unigram model.
    var unigram = try MappedFile(path: Fixtures.modelPath("spm-bpe-1k")).contents
    unigram.append(contentsOf: [0x12, 0x02, 0x18, 0x01])  // trainer_spec { model_type: UNIGRAM }
    let error = message { _ = try load(unigram) }
    #expect(error == "test/tokenizer.model: unsupported model_type UNIGRAM (only BPE is supported)")
  }

  @Test("pieces sentencepiece refuses: duplicates, missing unk, missing byte pieces")
  func invalidVocabularies() throws {
    func model(_ pieces: [(String, Int)], byteFallback: Bool = false) -> [UInt8] {
      var out: [UInt8] = []
      func varint(_ v: Int) { var v = UInt64(v); while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }; out.append(UInt8(v)) }
      for (text, type) in pieces {
        let t = Array(text.utf8)
        let body: [UInt8] = [0x0A] + [UInt8(t.count)] + t + [0x18, UInt8(type)]
        out.append(0x0A); varint(body.count); out += body
      }
      let spec: [UInt8] = [0x18, 0x02] + (byteFallback ? [0x98, 0x02, 0x01] : [])
      out.append(0x12); varint(spec.count); out += spec
      return out
    }
    #expect(message { _ = try load(model([("<unk>", 2), ("a", 1), ("a", 1)])) }
      == "test/tokenizer.model: piece \"a\" is defined twice (ids 1 and 2)")
    #expect(message { _ = try load(model([("a", 1), ("b", 1)])) }
      == "test/tokenizer.model: no UNKNOWN piece (unk is not defined)")
    #expect(message { _ = try load(model([("<unk>", 2), ("<0x00>", 6)], byteFallback: true)) }
      == "test/tokenizer.model: byte_fallback is on but there is no piece <0x01>")
    #expect(message { _ = try load(model([("<unk>", 2), ("<0x00>", 6)])) }
      == "test/tokenizer.model: byte piece \"<0x00>\" (id 1) although byte_fallback is off")
    // Canonically equivalent pieces are different pieces (Llama 2 has both).
    #expect(try load(model([("<unk>", 2), ("\u{1F77}", 1), ("\u{03AF}", 1)])).vocabulary.count == 3)
  }

  @Test("invalid tokenizer.json")
  func invalidTokenizerJSON() throws {
    let cases: [(String, String)] = [
      ("{", "test/tokenizer.json: invalid JSON: unexpected end of input"),
      ("[]", "test/tokenizer.json: the top level is an array, expected an object"),
      ("{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}", "test/tokenizer.json: unsupported model_type Unigram (only BPE is supported)"),
      ("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a b\"]}}", "test/tokenizer.json: merge 0 uses a token that is not in the vocabulary: \"b\""),
      ("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 1}, \"merges\": []}}", "test/tokenizer.json: ids run up to 1 but there are only 1 tokens (ids must run from 0 without holes)"),
      ("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 2147483000}, \"merges\": []}}", "test/tokenizer.json: ids run up to 2147483000 but there are only 1 tokens (ids must run from 0 without holes)"),
      ("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 2, \"b\": 2}, \"merges\": []}}", "test/tokenizer.json: model.vocab gives id 2 to both \"a\" and \"b\""),
      ("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}, \"pre_tokenizer\": {\"type\": \"ByteLevel\"}}", "test/tokenizer.json: unsupported pre_tokenizer ByteLevel"),
      ("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [], \"dropout\": 0.1}}", "test/tokenizer.json: unsupported BPE option dropout"),
      ("{\"a\": 1} x", "test/tokenizer.json: invalid JSON: unexpected character (at byte 9)"),
    ]
    for (text, expected) in cases {
      let got = message { _ = try load(Array(text.utf8), name: "tokenizer.json") }
      #expect(got == expected)
    }
    let deep = String(repeating: "[", count: 100_000)
    let error = message { _ = try load(Array(deep.utf8), name: "tokenizer.json") }
    #expect(error?.hasPrefix("test/tokenizer.json: invalid JSON:") == true, "\(error ?? "loaded")")
  }

  @Test("truncated and inconsistent tokenizer.bin")
  func invalidTokenizerBin() throws {
    let bytes = try MappedFile(path: Fixtures.tokenizers + "/llama2/tokenizer.bin").contents
    for cut in [0, 3, 4, 6, 11, 12, 13, 1000, bytes.count - 1] {
      let error = message { _ = try load(Array(bytes[0..<cut]), name: "tokenizer.bin") }
      #expect(error?.hasPrefix("test/tokenizer.bin: ") == true, "cut \(cut): \(error ?? "loaded")")
    }
    var long = bytes
    long.replaceSubrange(8..<12, with: [0xFF, 0xFF, 0xFF, 0x7F])  // length of piece 0
    #expect(message { _ = try load(long, name: "tokenizer.bin") }
      == "test/tokenizer.bin: piece 0 has length 2147483647 (max_token_length is 27)")
  }

  @Test("ids out of range and unknown files")
  func outOfRange() throws {
    let tokenizer = try Fixtures.tokenizer(Self.llama2Model)
    #expect(message { _ = try tokenizer.decode([1, 32000]) }
      == "\(Self.llama2Model): token id 32000 is out of range (the vocabulary has 32000 pieces, ids 0-31999)")
    #expect(message { _ = try tokenizer.decode([-1]) } != nil)
    let hf = try Fixtures.tokenizer(Fixtures.tokenizers + "/llama2/tokenizer.json.xz")
    #expect(message { _ = try hf.decode([40000]) } != nil)
    #expect(message { _ = try load([0x47, 0x47, 0x55, 0x46], name: "model.gguf") }?
      .hasPrefix("test/model.gguf: not a recognized tokenizer (tried ") == true)
    #expect(message { _ = try TokenizerLoader.load(path: "/nonexistent/tokenizer.model") }
      == "/nonexistent/tokenizer.model: cannot open: No such file or directory")
    #expect(message { _ = try TokenizerLoader.load(path: Fixtures.goldens) }?
      .hasPrefix("\(Fixtures.goldens): not a recognized tokenizer (tried a folder holding") == true)
  }

  @Test("invalid UTF-8 text is found at the right byte")
  func invalidText() {
    let cases: [([UInt8], Int?)] = [
      (Array("héllo".utf8), nil), ([0x61, 0xFF], 1), ([0xE4, 0xB8], 0), ([0x61, 0xED, 0xA0, 0x80], 1),
      ([0xC0, 0xAF], 0), ([0xF4, 0x90, 0x80, 0x80], 0), ([0xF0, 0x9F, 0x98, 0x80], nil),
    ]
    for (bytes, offset) in cases {
      #expect(bytes.withUnsafeBytes { firstInvalidUTF8Offset($0) } == offset)
    }
  }

  /// The thrown error as `Type.case` and its message.
  func failure(_ body: () throws -> Void) -> (kind: String, message: String)? {
    do {
      try body()
      return nil
    } catch {
      return ("\(type(of: error)).\(Mirror(reflecting: error).children.first?.label ?? "\(error)")", "\(error)")
    }
  }

  static func varint(_ v: UInt64) -> [UInt8] {
    var v = v, out: [UInt8] = []
    while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
    return out + [UInt8(v)]
  }
  /// A ModelProto piece record (field 1) with raw piece bytes and type.
  static func piece(_ text: [UInt8], type: UInt64 = 1) -> [UInt8] {
    let body: [UInt8] = [0x0A] + varint(UInt64(text.count)) + text + [0x15, 0, 0, 0, 0] + [0x18] + varint(type)
    return [0x0A] + varint(UInt64(body.count)) + body
  }

  @Test("tokenizer.model: lengths near 2^32 and 2^64, overlong varints, bad wire types, empty, non-UTF-8 and unknown-type pieces")
  func hostileProtobuf() throws {
    let unk = Self.piece(Array("<unk>".utf8), type: 2)
    let spec: [UInt8] = [0x12, 0x02, 0x18, 0x02]
    for (bytes, expected) in [
      ([0x0A] + Self.varint(1 << 32) + [0x0A], "length 4294967296 runs past the end of the data"),
      ([0x0A] + Self.varint(.max), "length 18446744073709551615 runs past the end of the data"),
      ([0x0A] + [UInt8](repeating: 0xFF, count: 11) + [0x01], "varint longer than 10 bytes"),
      ([0x0A, 0x80], "truncated varint"),
      ([0x0E, 0x00], "unsupported wire type 6 for field 1"),
      ([0x0B, 0x00], "unsupported wire type 3 for field 1"),
      ([0x00, 0x00], "field number 0"),
      ([0x0D, 0x00], "ModelProto field 1 has wire type 5, expected 2"),
      ([0x0A, 0x02, 0x15, 0x00], "truncated fixed32"),
      (unk + Self.piece([]) + spec, "empty"),
      (unk + Self.piece([0x61, 0xFF]) + spec, "is not valid UTF-8"),
      (unk + Self.piece(Array("a".utf8), type: 7) + spec, "type 7"),
      (unk + Self.piece(Array("a".utf8), type: 1 << 40) + spec, "type"),
    ] as [([UInt8], String)] {
      let error = failure { _ = try load(bytes) }
      #expect(error?.kind == "TokenizerError.malformed" && error?.message.contains(expected) == true, "\(expected): \(error?.kind ?? "") \(error?.message ?? "loaded")")
    }
  }

  @Test("tokenizer.model: an unknown model_type")
  func unknownModelType() {
    let bytes = Self.piece(Array("<unk>".utf8), type: 2) + Self.piece(Array("a".utf8)) + [0x12, 0x02, 0x18, 0x09]
    #expect(failure { _ = try load(bytes) }?.kind == "TokenizerError.unsupportedModelType")
  }

  @Test("tokenizer.bin: lengths at 0, negative, near 2^31; non-UTF-8 pieces")
  func hostileTokenizerBin() throws {
    let bytes = try MappedFile(path: Fixtures.tokenizers + "/llama2/tokenizer.bin").contents
    for (offset, value, expected) in [
      // A max_token_length that is not plausible: not taken for a tokenizer.bin at all.
      (0, Int32(-1), "plausible max_token_length"), (0, 0, "plausible max_token_length"), (0, .max, "plausible max_token_length"),
      (0, .min, "plausible max_token_length"),
      (8, -1, "piece 0 has length 4294967295 (max_token_length is 27)"), (8, .min, "piece 0 has length 2147483648 (max_token_length is 27)"),
      (8, 0, "piece 0 has length 0 (max_token_length is 27)"),
    ] as [(Int, Int32, String)] {
      var patched = bytes
      withUnsafeBytes(of: value.littleEndian) { patched.replaceSubrange(offset..<(offset + 4), with: $0) }
      let error = failure { _ = try load(patched, name: "tokenizer.bin") }
      #expect(error?.kind == (offset == 0 ? "TokenizerError.unrecognizedFile" : "TokenizerError.malformed") && error?.message.contains(expected) == true, "\(offset) = \(value): \(error?.kind ?? "") \(error?.message ?? "loaded")")
    }
    var invalid = bytes
    invalid[12] = 0xFF  // the first byte of piece 0
    let error = failure { _ = try load(invalid, name: "tokenizer.bin") }
    #expect(error?.kind == "IOError.invalidValue" && error?.message.contains("invalid piece 0 at byte 12: not valid UTF-8") == true, "\(error?.kind ?? "") \(error?.message ?? "loaded")")
  }

  @Test("tokenizer.json: ids negative, near 2^32 and 2^64, not integers; malformed merges and added tokens")
  func hostileTokenizerJSON() throws {
    func bpe(_ vocab: String, merges: String = "[]", added: String = "[]") -> String {
      #"{"added_tokens": \#(added), "model": {"type": "BPE", "vocab": \#(vocab), "merges": \#(merges)}}"#
    }
    for (text, expected) in [
      (bpe(#"{"a": -1}"#), "model.vocab has id -1"),
      (bpe(#"{"a": 4294967296}"#), "model.vocab has id 4294967296"),
      (bpe(#"{"a": 18446744073709551616}"#), "model.vocab has id 9223372036854775807"),  // json-c saturates
      (bpe(#"{"a": 0.5}"#), #"model.vocab["a"] is a number, expected an integer"#),
      (bpe(#"{"a": "0"}"#), #"model.vocab["a"] is a string, expected an integer"#),
      (bpe(#"[0]"#), "model.vocab is an array, expected an object"),
      (bpe(#"{"a": 0, "b": 1, "ab": 2}"#, merges: #"[1]"#), "merge 0 is a number"),
      (bpe(#"{"a": 0, "b": 1, "ab": 2}"#, merges: #"[["a", "b", "c"]]"#), "merge 0 is an array, expected"),
      (bpe(#"{"a": 0, "b": 1, "ab": 2}"#, merges: #"["a b c"]"#), #"merge 0 "a b c" is not two tokens separated by a space"#),
      (bpe(#"{"a": 0}"#, added: #"[{"id": 4294967296, "content": "<s>"}]"#), "added_tokens[0] has id 4294967296"),
      (bpe(#"{"a": 0}"#, added: #"[{"id": 0, "content": 7}]"#), "added_tokens[0].content is a number, expected a string"),
      (bpe(#"{"a": 0}"#, added: #"[7]"#), "added_tokens[0] is a number, expected an object"),
    ] {
      let error = failure { _ = try load(Array(text.utf8), name: "tokenizer.json") }
      #expect(error?.kind == "TokenizerError.malformed" && error?.message.contains(expected) == true, "\(text): \(error?.kind ?? "") \(error?.message ?? "loaded")")
    }
    let invalid = Array(bpe(#"{"\#u{FF}": 0}"#).utf8).map { $0 == 0xC3 ? 0xFF : $0 }
    let error = failure { _ = try load(invalid, name: "tokenizer.json") }
    #expect(error?.kind == "IOError.invalidJSON" && error?.message.contains("invalid utf-8 string") == true, "\(error?.kind ?? "") \(error?.message ?? "loaded")")
  }
}
