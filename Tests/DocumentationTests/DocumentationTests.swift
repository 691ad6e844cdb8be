import Foundation
import LlamaCore
import LlamaEval
import LlamaFormats
import LlamaIO
import LlamaInference
import LlamaKit
import LlamaTokenizer
import Testing

/// The pages docs/adding-a-checkpoint-format.md and docs/adding-a-task.md show the example
/// files of this target verbatim; the target compiles them, and these tests run them.
@Suite("documentation examples")
struct DocumentationTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
  static let m0 = root + "/Tests/Fixtures/models/m0/hf"

  static func temporaryFolder() throws -> String {
    let path = NSTemporaryDirectory() + "llamakit-docs-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  @Test("each page holds its example file verbatim, in one Swift block", arguments: [
    ("docs/adding-a-checkpoint-format.md", "Tests/DocumentationTests/RawF32Format.swift"),
    ("docs/adding-a-task.md", "Tests/DocumentationTests/SciQTask.swift"),
  ])
  func pagesShowTheCompiledCode(page: String, example: String) throws {
    let text = try String(contentsOfFile: Self.root + "/" + page, encoding: .utf8)
    let code = try String(contentsOfFile: Self.root + "/" + example, encoding: .utf8)
    #expect(text.contains("<!-- \(example) -->\n```swift\n" + code + "```\n"), "\(page) does not show \(example) as it is")
  }

  /// M0 rewritten as a raw-f32 folder: the values of every tensor, in the reader's order.
  static func writeRawFolder(_ folder: String) throws -> any CheckpointReader {
    let source = try ModelFiles.open(Self.m0)
    var weights = Data()
    var index: [(String, JSON)] = []
    for info in source.tensors {
      let values = try source.tensor(info.name).floats()
      index.append((info.name, .object(JSONObject([("shape", .array(info.shape.map { .number($0) })), ("offset", .number(weights.count))]))))
      values.withUnsafeBytes { weights.append(contentsOf: $0) }
    }
    try weights.write(to: URL(fileURLWithPath: folder + "/weights.f32"))
    try Data(JSON.object(JSONObject(index)).serialized(pretty: true).utf8).write(to: URL(fileURLWithPath: folder + "/tensors.json"))
    for name in ["config.json", "tokenizer.model"] { try FileManager.default.copyItem(atPath: Self.m0 + "/" + name, toPath: folder + "/" + name) }
    return source
  }

  @Test("the example format is recognized once registered, gives M0's configuration, tensors and logits, and refuses a bad index")
  func formatExample() throws {
    let folder = try Self.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let source = try Self.writeRawFolder(folder)
    #expect(throws: FormatError.self) { try builtinFormats.open(folder) }
    let registry = FormatRegistry(builtinFormats.formats + [RawF32Format.self])
    #expect(try registry.format(of: folder) == RawF32Format.self)
    let reader = try registry.open(folder)
    #expect(reader.format == "raw-f32" && reader.config == source.config && reader.tensors.count == source.tensors.count)
    for info in source.tensors {
      let same = try reader.tensor(info.name).floats() == source.tensor(info.name).floats()
      #expect(same, "\(info.name)")
    }
    #expect(try reader.vocabulary()?.count == 512)
    // The model runs from it as from the safetensors folder.
    let prompt = [1, 15, 27, 300, 42]
    let ours = try InferenceSession(model: LlamaModel(config: reader.config, tensors: reader), contextLength: 16, threads: 1).evaluate(prompt)
    let theirs = try InferenceSession(model: ModelFiles.model(Self.m0), contextLength: 16, threads: 1).evaluate(prompt)
    #expect(ours == theirs)

    // An offset past the end of weights.f32: one error naming tensors.json and the tensor.
    let index = folder + "/tensors.json"
    let text = try String(contentsOfFile: index, encoding: .utf8)
    try Data(text.replacingOccurrences(of: "\"offset\": 0", with: "\"offset\": 99999996").utf8).write(to: URL(fileURLWithPath: index))
    let error = #expect(throws: FormatError.self) { try registry.open(folder) }
    #expect("\(error.map { "\($0)" } ?? "")".contains("tensors.json: tensor "))
  }

  @Test("the example task renders lm-eval's sciq prompts and scores them on M0 (acc from the choices' log-likelihoods)")
  func taskExample() throws {
    let folder = try Self.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try FileManager.default.createDirectory(atPath: folder + "/sciq", withIntermediateDirectories: true)
    let questions: [[String: String]] = [
      ["question": "What gas do plants take in to make sugar?", "distractor1": "oxygen", "distractor2": "nitrogen", "distractor3": "helium",
       "correct_answer": "carbon dioxide", "support": " Plants use light energy to turn water and carbon dioxide into sugar."],
      ["question": "What is the center of an atom called?", "distractor1": "shell", "distractor2": "cloud", "distractor3": "orbit",
       "correct_answer": "nucleus", "support": ""],
      ["question": "Which force pulls objects toward the Earth?", "distractor1": "friction", "distractor2": "magnetism", "distractor3": "tension",
       "correct_answer": "gravity", "support": "\tGravity gives weight to objects."],
    ]
    try JSONSerialization.data(withJSONObject: questions).write(to: URL(fileURLWithPath: folder + "/sciq/test.json"))
    let (documents, _) = try SciQ.task.documents(DataFolder(path: folder))
    #expect(documents.count == 3)
    let requests = SciQ.task.requests(documents[0], fewshot: [])
    #expect(requests.map(\.context) == Array(repeating: "Plants use light energy to turn water and carbon dioxide into sugar.\nQuestion: What gas do plants take in to make sugar?\nAnswer:", count: 4))
    #expect(requests.map(\.continuation) == [" oxygen", " nitrogen", " helium", " carbon dioxide"])
    #expect(SciQ.task.requests(documents[1], fewshot: [])[0].context == "\nQuestion: What is the center of an atom called?\nAnswer:")

    let tokenizer = try ModelFiles.tokenizer(forModel: Self.m0)
    let encoder = PairEncoder(
      encode: { [1] + tokenizer.encode($0).map(Int.init) }, encodePlain: { tokenizer.encode($0).map(Int.init) }, prefix: 1)
    let session = try InferenceSession(model: ModelFiles.model(Self.m0), contextLength: 256, threads: 1)
    let result = try Evaluator(model: session, encoder: encoder, maxLength: 256)
      .run(SciQ.task, data: DataFolder(path: folder), fewshot: nil, selection: .init())
    let right = result.samples.filter { sample in
      let scores = sample.results.map(\.logLikelihood)
      return scores.firstIndex(of: scores.max()!) == 3
    }.count
    let acc = try #require(result.metrics.first { $0.name == "acc" })
    #expect(result.metrics.map(\.name) == ["acc", "acc_norm"] && acc.value == Double(right) / 3)
  }
}
