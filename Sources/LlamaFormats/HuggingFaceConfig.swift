import LlamaCore
import LlamaIO

/// Hugging Face `config.json` for `LlamaForCausalLM` (formats.md §2.3), shared by the
/// safetensors and pytorch_model.bin readers.
public enum HuggingFaceConfig {
  /// Model types with the LLaMA architecture (dense Mistral models use it too).
  static let architectures: Set<String> = ["llama", "mistral"]

  /// The validated configuration from the `config.json` beside the weights (required: only
  /// it gives the head counts), its entries as metadata, and its path.
  public static func load(beside location: CheckpointLocation) throws
    -> (config: ModelConfig, metadata: [MetadataEntry], path: String)
  {
    let path = location.file("config.json")
    guard fileExists(atPath: path) else {
      throw FormatError.invalidConfig(
        path: location.path, detail: "config.json is missing beside the weights (it gives the head counts)")
    }
    let (config, entries) = try read(path: path)
    return (try config.validated(path: path), entries.map { MetadataEntry("config." + $0.key, $0.value) }, path)
  }

  public static func read(path: String) throws -> (ModelConfig, [MetadataEntry]) {
    let json = try JSON.parse(contentsOf: path)
    guard let object = json.objectValue else {
      throw FormatError.malformed(path: path, detail: "config.json is \(json.kindName), expected an object")
    }
    return (try config(from: object, path: path), object.entries.map { MetadataEntry($0.key, metadata($0.value)) })
  }

  static func config(from object: JSONObject, path: String) throws -> ModelConfig {
    func fail(_ detail: String) -> FormatError { .invalidConfig(path: path, detail: detail) }
    if let type = object["model_type"]?.stringValue, !architectures.contains(type) {
      throw FormatError.unsupportedVersion(path: path, detail: "model_type \(type) (only LLaMA-architecture models are supported)")
    }
    func integer(_ key: String, default fallback: Int? = nil) throws -> Int {
      guard let value = object[key], !value.isNull else {
        if let fallback { return fallback }
        throw fail("\(key) is missing")
      }
      guard let number = value.intValue, let int = Int(exactly: number) else {
        throw fail("\(key) is \(value.kindName), expected an integer")
      }
      return int
    }
    func number(_ value: JSON?, _ key: String, default fallback: Double) throws -> Double {
      guard let value, !value.isNull else { return fallback }
      guard let number = value.doubleValue else { throw fail("\(key) is \(value.kindName), expected a number") }
      return number
    }
    let hidden = try integer("hidden_size")
    let heads = try integer("num_attention_heads")
    let ropeParameters = object["rope_parameters"]?.objectValue
    let theta = try number(object["rope_theta"] ?? ropeParameters?["rope_theta"], "rope_theta", default: 10000)
    let tie: Bool
    if let value = object["tie_word_embeddings"], !value.isNull {
      guard let flag = value.boolValue else { throw fail("tie_word_embeddings is \(value.kindName), expected a boolean") }
      tie = flag
    } else {
      tie = false
    }
    return ModelConfig(
      vocabSize: try integer("vocab_size"), hiddenSize: hidden,
      intermediateSize: try integer("intermediate_size"), numHiddenLayers: try integer("num_hidden_layers"),
      numAttentionHeads: heads, numKeyValueHeads: try integer("num_key_value_heads", default: heads),
      headDim: try integer("head_dim", default: heads > 0 ? hidden / heads : 0),
      ropeTheta: Float(theta), rmsNormEps: Float(try number(object["rms_norm_eps"], "rms_norm_eps", default: 1e-6)),
      contextLength: try integer("max_position_embeddings", default: 2048), tieWordEmbeddings: tie)
  }

  /// A JSON value as metadata (integers stay integers, other numbers are f64).
  public static func metadata(_ value: JSON) -> MetadataValue {
    switch value {
    case .null: return .none
    case .bool(let b): return .bool(b)
    case .int(let i): return .integer(i, type: "int")
    case .double(let d): return .float(d, type: "f64")
    case .string(let s): return .string(s)
    case .array(let items): return .array(items.map(metadata), elementType: "json")
    case .object: return .string(value.serialized())
    }
  }
}
