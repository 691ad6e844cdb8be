import Foundation
import LlamaIO
import Testing

@Suite("llamakit tokenize / detokenize")
struct TokenizeCommandTests {
  @Test("output formats")
  func formats() throws {
    let table = try CLI.run(["tokenize", CLI.llama2, "Hello world"])
    #expect(table.status == 0)
    #expect(table.stdout == "15043\t▁Hello\n3186\t▁world\n")
    let ids = try CLI.run(["tokenize", CLI.llama2, " Hello", "--ids", "--bos", "--eos"])
    #expect(ids.stdout == "1 29871 15043 2\n")
    let pieces = try CLI.run(["tokenize", CLI.llama2, "a\nb", "--pieces"])
    #expect(pieces.stdout == "▁a <0x0A> b\n")
    let json = try CLI.json(try CLI.run(["tokenize", CLI.llama2, "Hello    world", "--json"]).stdout)
    #expect(json["ids"]?.ids == [15043, 1678, 3186])
    #expect(json["pieces"]?.strings == ["▁Hello", "▁▁▁", "▁world"])
    #expect(json["text"] == .string("Hello    world"))
  }

  @Test("text from a file and from stdin, verbatim")
  func inputs() throws {
    let folder = try CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Data("Hello\n".utf8).write(to: URL(fileURLWithPath: folder + "/t.txt"))
    let file = try CLI.run(["tokenize", CLI.llama2, "--file", folder + "/t.txt", "--ids"])
    #expect(file.stdout == "15043 13\n")
    let stdin = try CLI.run(["tokenize", CLI.llama2, "--ids"], stdin: "Hello\n")
    #expect(stdin.stdout == "15043 13\n")
  }

  @Test("--verbose says which behaviour is applied")
  func verbose() throws {
    let model = try CLI.run(["tokenize", CLI.llama2, "x", "--verbose"])
    #expect(model.stderr.contains("applying sentencepiece BPE"))
    let json = try CLI.run(["tokenize", CLI.tokenizers + "/llama2/tokenizer.json.xz", " Hello", "-v", "--ids"])
    #expect(json.stdout == "15043\n")
    #expect(json.stderr.contains("applying Hugging Face tokenizers"))
    let bin = try CLI.run(["tokenize", CLI.tokenizers + "/llama2/tokenizer.bin", " Hello", "-v", "--ids"])
    #expect(bin.stdout == "29871 15043\n")
    #expect(bin.stderr.contains("llama2.c tokenizer.bin"))
  }

  @Test("batch mode keeps each object and adds ids and pieces")
  func batchTokenize() throws {
    let input = """
      {"id": 7, "text": "Hello world"}

      {"text": "", "meta": {"a": [1]}}
      {"text": "x\\u2028y"}

      """
    let result = try CLI.run(["tokenize", CLI.llama2, "--input-jsonl", "-", "--bos"], stdin: input)
    #expect(result.status == 0, "\(result.stderr)")
    let lines = result.stdoutLines
    #expect(lines.count == 3)
    let first = try CLI.json(lines[0])
    #expect(first["id"] == .int(7))
    #expect(first["ids"]?.ids == [1, 15043, 3186])
    #expect(first["pieces"]?.strings == ["<s>", "▁Hello", "▁world"])
    #expect(first.objectValue?.keys == ["id", "text", "ids", "pieces"])
    let second = try CLI.json(lines[1])
    #expect(second["meta"] == .object(JSONObject([("a", .array([.int(1)]))])))
    #expect(second["ids"]?.ids == [1])
    #expect(lines[2].contains("\\u2028"))
    #expect(try CLI.json(lines[2])["text"] == .string("x\u{2028}y"))
  }

  @Test("detokenize: arguments, stdin, JSON and batch")
  func detokenize() throws {
    #expect(try CLI.run(["detokenize", CLI.llama2, "1", "15043", "3186", "2"]).stdout == "Hello world\n")
    #expect(try CLI.run(["detokenize", CLI.llama2, "[15043,", "3186]"]).stdout == "Hello world\n")
    #expect(try CLI.run(["detokenize", CLI.llama2], stdin: "231 187\n").stdout == "\u{FFFD}\u{FFFD}\n")
    let json = try CLI.json(try CLI.run(["detokenize", CLI.llama2, "29871", "15043", "--json"]).stdout)
    #expect(json["text"] == .string(" Hello"))  // only the first ▁ is eaten, as in sentencepiece
    let piped = try CLI.run(["tokenize", CLI.llama2, "--ids"], stdin: "Grüße, 世界! 😀")
    #expect(try CLI.run(["detokenize", CLI.llama2], stdin: piped.stdout).stdout == "Grüße, 世界! 😀\n")
    let batch = try CLI.run(
      ["detokenize", CLI.llama2, "--input-jsonl", "-"], stdin: "{\"ids\": [15043, 3186], \"k\": 1}\n")
    let line = try CLI.json(batch.stdoutLines[0])
    #expect(line["text"] == .string("Hello world"))
    #expect(line["k"] == .int(1))
  }

  @Test("bad input gives one line naming the file and a non-zero exit")
  func errors() throws {
    let folder = try CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Data([0x0A, 0x05, 0x0A, 0x03, 0x61]).write(to: URL(fileURLWithPath: folder + "/tokenizer.model"))
    try Data([0x61, 0xFF, 0x62]).write(to: URL(fileURLWithPath: folder + "/bad.txt"))
    try Data("{\"model\": 1}".utf8).write(to: URL(fileURLWithPath: folder + "/tokenizer.json"))
    try Data("{\"text\": \"a\"}\n{\"txt\": 1}\n".utf8).write(to: URL(fileURLWithPath: folder + "/in.jsonl"))
    let cases: [([String], String, String)] = [
      (["tokenize", folder + "/tokenizer.model", "x"], folder + "/tokenizer.model: invalid protobuf", "truncated model"),
      (["tokenize", folder + "/tokenizer.json", "x"], folder + "/tokenizer.json: model is a number, expected an object", "invalid tokenizer.json"),
      (["tokenize", CLI.llama2, "--file", folder + "/bad.txt"], folder + "/bad.txt: text is not valid UTF-8 (at byte 1)", "invalid UTF-8"),
      (["detokenize", CLI.llama2, "5", "32000"], CLI.llama2 + ": token id 32000 is out of range", "id out of range"),
      (["detokenize", CLI.llama2, "--", "-1"], CLI.llama2 + ": token id -1 is out of range", "negative id"),
      (["vocab", CLI.llama2, "--id", "99999"], CLI.llama2 + ": token id 99999 is out of range", "vocab id out of range"),
      (["tokenize", folder + "/missing.model", "x"], folder + "/missing.model: cannot open: No such file or directory", "missing file"),
      (["tokenize", CLI.llama2, "--input-jsonl", folder + "/in.jsonl"], folder + "/in.jsonl:2: expected a \"text\" string field", "batch line"),
      (["tokenize", folder, "x"], folder + "/tokenizer.model: invalid protobuf", "folder"),
    ]
    for (arguments, expected, label) in cases {
      let result = try CLI.run(arguments)
      #expect(result.status != 0, "\(label)")
      let lines = result.stderr.split(separator: "\n")
      #expect(lines.count == 1, "\(label): \(result.stderr)")
      #expect(result.stderr.hasPrefix("Error: " + expected), "\(label): \(result.stderr)")
    }
    let usage = try CLI.run(["tokenize", CLI.llama2, "x", "--ids", "--json"])
    #expect(usage.status != 0)
  }
}
