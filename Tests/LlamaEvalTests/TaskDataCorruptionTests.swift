import Foundation
import LlamaIO
import Testing

@testable import LlamaEval

/// Malformed benchmark files: each gives one error naming the file (and line where there is
/// one), never a crash — also when the documents it does load are turned into requests and
/// scored.
@Suite("task data: malformed files")
struct TaskDataCorruptionTests {
  struct Case: CustomTestStringConvertible, Sendable {
    var task: String
    var files: [String: [UInt8]]
    var kind: String
    var expected: String
    var testDescription: String { "\(task): \(expected)" }

    init(_ task: String, _ files: [String: String], _ kind: String, _ expected: String) {
      self.init(task, files.mapValues { Array($0.utf8) }, kind, expected)
    }
    init(_ task: String, _ files: [String: [UInt8]], _ kind: String, _ expected: String) {
      (self.task, self.files, self.kind, self.expected) = (task, files, kind, expected)
    }
  }

  static let arc = "arc/ARC-Easy/ARC-Easy-Test.jsonl"
  static let arcRecord = #"{"id": "x", "question": {"stem": "Q?", "choices": [{"text": "a", "label": "A"}, {"text": "b", "label": "B"}]}, "answerKey": "B"}"#
  static let deep = String(repeating: "[", count: 100_000)
  static let hellaswagRecord = #"{"activity_label": "A", "ctx_a": "x.", "ctx_b": "y", "ctx": "x. y", "label": 1, "endings": ["a", "b", "c", "d"]}"#

  static let cases: [Case] = [
    Case("arc_easy", [arc: "{\"id\": \"broken\", \n"], "IOError.invalidJSON", "ARC-Easy-Test.jsonl:1: invalid JSON: unexpected end of input"),
    Case("arc_easy", [arc: arcRecord + "\n[1]\n"], "Failure.malformed", "ARC-Easy-Test.jsonl: a record has no question"),
    Case("arc_easy", [arc: arcRecord.replacingOccurrences(of: #""answerKey": "B""#, with: #""answerKey": "Z""#)], "Failure.malformed", "answerKey Z is not one of the labels [\"A\", \"B\"]"),
    Case("arc_easy", [arc: arcRecord.replacingOccurrences(of: #"[{"text": "a", "label": "A"}, {"text": "b", "label": "B"}]"#, with: "[]")], "Failure.malformed", "answerKey B is not one of the labels []"),
    Case("arc_easy", [arc: arcRecord.replacingOccurrences(of: #"{"text": "a", "label": "A"}"#, with: #"{"text": 7, "label": "A"}"#)], "Failure.malformed", "ARC-Easy-Test.jsonl: a record has no string \"text\""),
    Case("arc_easy", [arc: Array(arcRecord.utf8) + [0xFF, 0x0A]], "Failure.malformed", "ARC-Easy-Test.jsonl: not UTF-8"),
    Case("arc_easy", [arc: deep], "IOError.invalidJSON", "ARC-Easy-Test.jsonl:1: invalid JSON: nesting too deep"),
    Case("arc_easy", [arc: String(repeating: "[" + String(repeating: "0,", count: 1_000_000) + "0]\n", count: 5)], "Failure.malformed",
      "ARC-Easy-Test.jsonl: more than 4194304 JSON values in all"),
    Case("piqa", ["piqa/valid.jsonl": #"{"goal": "g", "sol1": "a", "sol2": "b"}"#, "piqa/valid-labels.lst": "5\n"], "Failure.malformed", "valid-labels.lst: label 1 is 5, not 0 or 1"),
    Case("piqa", ["piqa/valid.jsonl": #"{"goal": "g", "sol1": "a", "sol2": "b"}"#, "piqa/valid-labels.lst": "4294967296\n"], "Failure.malformed", "valid-labels.lst: label 1 is 4294967296, not 0 or 1"),
    Case("piqa", ["piqa/valid.jsonl": #"{"goal": "g", "sol1": "a", "sol2": "b"}"#, "piqa/valid-labels.lst": "0\n1\n"], "Failure.malformed", "valid-labels.lst: expected 1 labels of 0 or 1, found 2"),
    Case("piqa", ["piqa/valid.jsonl": #"{"goal": "g", "sol1": "a"}"#, "piqa/valid-labels.lst": "0\n"], "Failure.malformed", "valid.jsonl: a record has no string \"sol2\""),
    Case("winogrande", ["winogrande/dev.jsonl": #"{"sentence": "a _ b", "option1": "x", "option2": "y", "answer": "3"}"#], "Failure.malformed", "dev.jsonl: answer 3 is not 1 or 2"),
    Case("winogrande", ["winogrande/dev.jsonl": #"{"sentence": "a b", "option1": "x", "option2": "y", "answer": "1"}"#], "Failure.malformed", "dev.jsonl: a sentence has no blank: a b"),
    Case("winogrande", ["winogrande/dev.jsonl": #"{"sentence": "a _ b", "option1": "x", "answer": "1"}"#], "Failure.malformed", "dev.jsonl: a record has no string \"option2\""),
    Case("winogrande", ["winogrande/dev.jsonl": #"{"sentence": "_", "option1": "", "option2": "", "answer": "1"}"#], "", ""),  // odd but valid
    Case("lambada_openai", ["lambada/lambada_test.jsonl": #"{"text": 5}"#], "Failure.malformed", "lambada_test.jsonl: a record has no string \"text\""),
    Case("lambada_openai", ["lambada/lambada_test.jsonl": #"{"text": ""}"#], "", ""),  // an empty context, as lm-eval would run it
    Case("truthfulqa_mc1", ["truthfulqa/mc_task.json": "{}"], "Failure.malformed", "mc_task.json: not a JSON array"),
    Case("truthfulqa_mc1", ["truthfulqa/mc_task.json": #"[{"question": "q", "mc1_targets": {}, "mc2_targets": {}}]"#], "Failure.malformed", "mc_task.json: a record's mc1_targets has no answers"),
    Case("truthfulqa_mc2", ["truthfulqa/mc_task.json": #"[{"question": "q", "mc1_targets": {"a": 1}, "mc2_targets": {"a": "yes"}}]"#], "Failure.malformed", "mc_task.json: a record's mc2_targets labels an answer \"yes\", not 0 or 1"),
    Case("truthfulqa_mc1", ["truthfulqa/mc_task.json": #"[{"question": "q", "mc1_targets": [1]}]"#], "Failure.malformed", "mc_task.json: a record has no mc1_targets"),
    Case("truthfulqa_mc1", ["truthfulqa/mc_task.json": deep], "IOError.invalidJSON", "mc_task.json: invalid JSON: nesting too deep"),
    Case("mmlu_anatomy", ["mmlu/test/anatomy_test.csv": String(repeating: ",", count: 1 << 22), "mmlu/dev/anatomy_dev.csv": ""], "Failure.malformed",
      "anatomy_test.csv: more than 4194304 fields"),
    Case("mmlu_anatomy", ["mmlu/test/anatomy_test.csv": "q,a,b,c\n", "mmlu/dev/anatomy_dev.csv": ""], "Failure.malformed", "anatomy_test.csv: expected question, four answers and a letter A-D, found 4 fields"),
    Case("mmlu_anatomy", ["mmlu/test/anatomy_test.csv": "q,a,b,c,d,E\n", "mmlu/dev/anatomy_dev.csv": ""], "Failure.malformed", "anatomy_test.csv: expected question, four answers and a letter A-D, found 6 fields"),
    Case("mmlu_anatomy", ["mmlu/test/anatomy_test.csv": "\"q,a,b,c,d,A\n", "mmlu/dev/anatomy_dev.csv": ""], "Failure.malformed", "anatomy_test.csv: a quoted field is not closed"),
    Case("mmlu_anatomy", ["mmlu/test/anatomy_test.csv": [0x71, 0xFF] + Array(",a,b,c,d,A\n".utf8), "mmlu/dev/anatomy_dev.csv": []], "Failure.malformed", "anatomy_test.csv: not UTF-8"),
    Case("hellaswag", ["hellaswag/hellaswag_val.jsonl": hellaswagRecord.replacingOccurrences(of: #""label": 1"#, with: #""label": 4"#)], "Failure.malformed", "hellaswag_val.jsonl: a record needs four endings and a label 0-3"),
    Case("hellaswag", ["hellaswag/hellaswag_val.jsonl": hellaswagRecord.replacingOccurrences(of: #""label": 1"#, with: #""label": -1"#)], "Failure.malformed", "hellaswag_val.jsonl: a record needs four endings and a label 0-3"),
    Case("hellaswag", ["hellaswag/hellaswag_val.jsonl": hellaswagRecord.replacingOccurrences(of: #""label": 1"#, with: #""label": 4294967296"#)], "Failure.malformed", "hellaswag_val.jsonl: a record needs four endings and a label 0-3"),
    Case("hellaswag", ["hellaswag/hellaswag_val.jsonl": hellaswagRecord.replacingOccurrences(of: #", "d"]"#, with: "]")], "Failure.malformed", "hellaswag_val.jsonl: a record needs four endings and a label 0-3"),
    Case("hellaswag", ["hellaswag/hellaswag_val.jsonl": hellaswagRecord.replacingOccurrences(of: #""ctx_b": "y""#, with: #""ctx_b": 3"#)], "Failure.malformed", "hellaswag_val.jsonl: a record has no string \"ctx_b\""),
    Case("hellaswag_llamacpp", ["hellaswag/hellaswag_val_full.txt": "ctx\n1\na\nb\nc\n"], "Failure.malformed", "hellaswag_val_full.txt: 5 lines, not a multiple of 6"),
    Case("hellaswag_llamacpp", ["hellaswag/hellaswag_val_full.txt": "ctx\n9\na\nb\nc\nd\n"], "Failure.malformed", "hellaswag_val_full.txt: line 2: the label 9 is not 0-3"),
    Case("hellaswag_llamacpp", ["hellaswag/hellaswag_val_full.txt": "ctx\n-1\na\nb\nc\nd\n"], "Failure.malformed", "hellaswag_val_full.txt: line 2: the label -1 is not 0-3"),
    Case("hellaswag_llamacpp", ["hellaswag/hellaswag_val_full.txt": String(repeating: "\n", count: 1 << 22)], "Failure.malformed",
      "hellaswag_val_full.txt: more than 4194304 lines"),
    Case("wikitext", ["wikitext-2-raw/wiki.test.raw": [0x20, 0x3D, 0xFF, 0x0A]], "Failure.malformed", "wiki.test.raw: not UTF-8"),
  ]

  @Test("each malformed file is refused with its kind of error", arguments: cases)
  func malformed(_ testCase: Case) throws {
    let folder = NSTemporaryDirectory() + "llamakit-taskdata-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: folder) }
    for (relative, bytes) in testCase.files {
      let path = folder + "/" + relative
      try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
    let task = try #require(TaskRegistry.resolve(testCase.task)?.first)
    var error: (kind: String, message: String)?
    do {
      let (documents, _) = try task.documents(DataFolder(path: folder))
      // What loads must also make requests and score without trouble.
      for document in documents {
        let requests = task.requests(document, fewshot: [])
        let results = requests.indices.map { LoglikelihoodResult(logLikelihood: -Double($0) - 1, isGreedy: false) }
        _ = Evaluator.documentMetrics(task, document, results)
      }
    } catch let caught {
      error = ("\(type(of: caught)).\(Mirror(reflecting: caught).children.first?.label ?? "\(caught)")", "\(caught)")
    }
    if testCase.kind.isEmpty {
      #expect(error == nil, "\(error?.message ?? "")")
    } else {
      #expect(error?.kind == testCase.kind && error?.message.contains(testCase.expected) == true && error?.message.hasPrefix(folder) == true,
        "\(error?.kind ?? "") \(error?.message ?? "loaded")")
    }
  }
}

/// llama-perplexity KL-divergence base files are read from strangers too.
@Suite("KL-divergence base files: malformed")
struct KLDivergenceBaseCorruptionTests {
  static func file(n: Int32, vocabulary: Int32, chunks: Int32, tokens: [Int32], extra: Int = 0) -> [UInt8] {
    var bytes = Array("_logits_".utf8)
    for v in [n, vocabulary, chunks] + tokens { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    // The records the header describes, when they are small enough to write.
    let records = Int(chunks) * Int(n - 1 - n / 2)
    let (size, overflow) = records.multipliedReportingOverflow(by: 2 * (2 * ((Int(vocabulary) + 1) / 2) + 4))
    return bytes + [UInt8](repeating: 0, count: overflow || size > 1 << 20 ? 0 : max(0, size + extra))
  }

  @Test("headers past the file or near 2^31, tokens outside the vocabulary, truncation: one error each, nothing allocated from the header")
  func malformed() throws {
    let folder = NSTemporaryDirectory() + "llamakit-kl-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let valid = Self.file(n: 4, vocabulary: 3, chunks: 1, tokens: [0, 1, 2, 1])
    let path = folder + "/base.kld"
    for (bytes, expected) in [
      (valid, ""),
      (Self.file(n: 1 << 20, vocabulary: 1 << 24, chunks: 1 << 24, tokens: []), "the header describes more than 2^63"),
      (Self.file(n: 1 << 20, vocabulary: 32000, chunks: 1 << 20, tokens: []), "20 bytes, the header describes 35193101064601620"),
      (Self.file(n: .max, vocabulary: 3, chunks: 1, tokens: []), "implausible header n_ctx 2147483647"),
      (Self.file(n: 4, vocabulary: -1, chunks: 1, tokens: []), "implausible header"),
      (Self.file(n: 4, vocabulary: 3, chunks: 0, tokens: []), "implausible header"),
      (Self.file(n: 4, vocabulary: 3, chunks: 1, tokens: [0, 1, 3, 1]), "token 2 is 3, outside the vocabulary of 3"),
      (Self.file(n: 4, vocabulary: 3, chunks: 1, tokens: [0, -1, 2, 1]), "token 1 is -1, outside the vocabulary of 3"),
      (Self.file(n: 4, vocabulary: 3, chunks: 1, tokens: [0, 1, 2, 1], extra: 1), "bytes, the header describes"),
      (Array(valid.dropLast()), "bytes, the header describes"),
      (Array(valid.prefix(10)), "base.kld"),
      (Array("_logitz_".utf8) + valid.dropFirst(8), "no \"_logits_\" magic"),
    ] as [([UInt8], String)] {
      try Data(bytes).write(to: URL(fileURLWithPath: path))
      var error: String?
      do { _ = try KLDivergence.Base(path: path) } catch let caught { error = "\(caught)" }
      if expected.isEmpty {
        #expect(error == nil, "\(error ?? "")")
      } else {
        #expect(error?.hasPrefix(path + ": ") == true && error?.contains(expected) == true, "\(error ?? "opened")")
      }
    }
  }
}
