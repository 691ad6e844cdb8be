import LlamaCore
import LlamaFormats
import LlamaIO
import LlamaTokenizer
import PyTorch
import Safetensors

#if canImport(Glibc)
  import Glibc
#endif

/// Any readable checkpoint written as a Hugging Face folder, the way transformers'
/// `save_pretrained` writes one: the weights as `model.safetensors` or as `pytorch_model.bin`
/// (`torch.save` zip), one file or shards `…-0000i-of-0000n…` with an index JSON when
/// `maxShardBytes` is given; Hugging Face tensor names with q/k rows permuted back to the
/// half-split RoPE layout; `config.json` and `generation_config.json` as transformers writes
/// them; the tokenizer files found beside the source (or a `tokenizer.model` written from the
/// vocabulary a GGUF or llama2.c file carries). Float tensors keep their type unless `type` is
/// given; block types become f32 (exact). Every file is written atomically; tensors stream a
/// run of rows at a time.
public enum HuggingFaceConversion {
  /// How the weights are stored.
  public enum Weights: Sendable {
    case safetensors
    case pytorch

    var single: String { self == .safetensors ? "model.safetensors" : "pytorch_model.bin" }
    var index: String { single + ".index.json" }
    func shard(_ i: Int, of n: Int) -> String {
      self == .safetensors
        ? "model-\(pad(i))-of-\(pad(n)).safetensors" : "pytorch_model-\(pad(i))-of-\(pad(n)).bin"
    }
    func writer(path: String, tensors: [TensorPlan]) throws -> any CheckpointWriter {
      self == .safetensors
        ? try SafetensorsWriter(path: path, overwrite: true, tensors: tensors)
        : try TorchCheckpointWriter(path: path, overwrite: true, tensors: tensors)
    }
  }

  /// The tensor types both weight files hold.
  public static let writableTypes: Set<DType> = [.f32, .f16, .bf16]

  /// The tokenizer files copied from the source's folder when present.
  static let tokenizerFiles = ["tokenizer.model", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]

  public static func write(
    _ reader: any CheckpointReader, toFolder folder: String, weights: Weights = .safetensors, type: DType? = nil,
    maxShardBytes: Int? = nil, allowsF16Overflow: Bool = false, overwrite: Bool = false,
    progress: (ConversionProgress) -> Void = { _ in }
  ) throws {
    let config = reader.config
    if let type, !writableTypes.contains(type) {
      throw FormatError.unwritable(path: folder, detail: "Hugging Face weights are f32, f16 or bf16, not \(type)")
    }
    // Plans in the source's order, with Hugging Face names and q/k row orders.
    var plans: [(info: TensorInfo, plan: TensorPlan, rows: [Int32]?)] = []
    for info in reader.tensors {
      guard let name = TensorNameMap.huggingFace.external(info.name) else {
        throw FormatError.unwritable(path: folder, detail: "tensor \(info.name) has no Hugging Face name")
      }
      guard info.dtype.isDequantizable else {
        throw FormatError.unwritable(path: folder, detail: "tensor \(info.name): \(reader.sourceName) stores it as \(info.dtype), which LlamaKit cannot read")
      }
      let target = type ?? (writableTypes.contains(info.dtype) ? info.dtype : .f32)
      var rows: [Int32]? = nil
      if let (_, tensor) = CanonicalName.parseLayer(info.name), tensor == .attentionQ || tensor == .attentionK {
        let heads = tensor == .attentionQ ? config.numAttentionHeads : config.numKeyValueHeads
        rows = QKPermutation.canonicalRowForHFRow(rows: info.shape.first ?? 0, heads: heads)
        guard rows != nil else {
          throw FormatError.unwritable(path: folder, detail: "tensor \(info.name): \(info.shape.first ?? 0) rows are not \(heads) heads of even size")
        }
      }
      plans.append((info, TensorPlan(name: name, shape: info.shape, type: target), rows))
    }
    // Shards as huggingface_hub splits a state dict (names sorted, as in a state dict read back
    // from safetensors): in order, a new shard when the next tensor would pass the limit, a
    // tensor larger than the limit alone in its own.
    plans.sort { $0.plan.name.utf8.lexicographicallyPrecedes($1.plan.name.utf8) }
    var shards: [[Int]] = []
    var current: [Int] = []
    var shardBytes = 0
    for (index, entry) in plans.enumerated() {
      if let maxShardBytes, entry.plan.byteCount > maxShardBytes {
        shards.append([index])
        continue
      }
      if let maxShardBytes, shardBytes + entry.plan.byteCount > maxShardBytes, !current.isEmpty {
        shards.append(current)
        current = []
        shardBytes = 0
      }
      current.append(index)
      shardBytes += entry.plan.byteCount
    }
    if !current.isEmpty || shards.isEmpty { shards.append(current) }
    // Within a safetensors file the library orders tensors by dtype (f32, bf16, f16: larger
    // alignment first), then by name.
    if weights == .safetensors {
      let rank: [DType: Int] = [.f32: 0, .bf16: 1, .f16: 2]
      shards = shards.map { $0.sorted { (rank[plans[$0].plan.type] ?? 3, $0) < (rank[plans[$1].plan.type] ?? 3, $1) } }
    }
    let fileNames = shards.count == 1 ? [weights.single] : shards.indices.map { weights.shard($0 + 1, of: shards.count) }
    let output = try OutputFolder(folder, overwrite: overwrite, files: fileNames + [weights.index, "config.json"])

    var done = ConversionProgress(tensorCount: plans.count, totalBytes: plans.reduce(0) { $0 + $1.plan.byteCount })
    for (shard, indices) in shards.enumerated() {
      let writer = try weights.writer(path: output.file(fileNames[shard]), tensors: indices.map { plans[$0].plan })
      for index in indices {
        let entry = plans[index]
        let encoding = TensorEncoding(rowOrder: entry.rows, allowsF16Overflow: allowsF16Overflow)
        try encoding.write(try reader.tensor(entry.info.name), as: entry.plan.type) { try writer.write($0) }
        done.add(entry.plan)
        progress(done)
      }
      try writer.finish()
      output.finished(fileNames[shard])
    }
    if shards.count > 1 {
      let weightMap = shards.enumerated().flatMap { shard, indices in indices.map { (plans[$0].plan.name, JSON.string(fileNames[shard])) } }
      let index = JSONObject([
        ("metadata", .object(JSONObject([("total_size", .number(plans.reduce(0) { $0 + $1.plan.byteCount }))]))),
        ("weight_map", .object(JSONObject(weightMap.sorted { $0.0 < $1.0 }))),
      ])
      try output.write(Array((JSON.object(index).serialized(pretty: true) + "\n").utf8), to: weights.index)
    }
    // torch_dtype: the type holding most of the matrices' bytes.
    var bytesByType: [DType: Int] = [:]
    for entry in plans where entry.plan.shape.count == 2 { bytesByType[entry.plan.type, default: 0] += entry.plan.byteCount }
    let mainType = type ?? bytesByType.max { $0.value < $1.value }?.key ?? .f32
    try output.write(Array(configJSON(config, dtype: mainType, vocabulary: try? reader.vocabulary()).utf8), to: "config.json")
    try output.write(Array(generationConfigJSON(try? reader.vocabulary()).utf8), to: "generation_config.json")
    try copyTokenizerFiles(from: reader, to: output)
    output.complete()
  }

  static func pad(_ n: Int) -> String {
    let digits = String(n)
    return String(repeating: "0", count: max(0, 5 - digits.count)) + digits
  }

  static func torchName(_ type: DType) -> String {
    switch type {
    case .f16: return "float16"
    case .bf16: return "bfloat16"
    default: return "float32"
    }
  }

  /// config.json with transformers' LlamaConfig keys, sorted as transformers writes them.
  static func configJSON(_ c: ModelConfig, dtype: DType, vocabulary: Vocabulary?) -> String {
    let trainer = vocabulary?.trainer
    let object = JSONObject([
      ("architectures", .array([.string("LlamaForCausalLM")])),
      ("attention_bias", .bool(false)),
      ("attention_dropout", .number(0.0)),
      ("bos_token_id", .number(Int(trainer?.bosID ?? 1))),
      ("eos_token_id", .number(Int(trainer?.eosID ?? 2))),
      ("head_dim", .number(c.headDim)),
      ("hidden_act", .string("silu")),
      ("hidden_size", .number(c.hiddenSize)),
      ("initializer_range", .number(0.02)),
      ("intermediate_size", .number(c.intermediateSize)),
      ("max_position_embeddings", .number(c.contextLength ?? 2048)),
      ("mlp_bias", .bool(false)),
      ("model_type", .string("llama")),
      ("num_attention_heads", .number(c.numAttentionHeads)),
      ("num_hidden_layers", .number(c.numHiddenLayers)),
      ("num_key_value_heads", .number(c.numKeyValueHeads)),
      ("pretraining_tp", .number(1)),
      ("rms_norm_eps", .number(c.rmsNormEps)),
      ("rope_scaling", .null),
      ("rope_theta", .number(c.ropeTheta)),
      ("tie_word_embeddings", .bool(c.tieWordEmbeddings)),
      ("torch_dtype", .string(torchName(dtype))),
      ("use_cache", .bool(true)),
      ("vocab_size", .number(c.vocabSize)),
    ])
    return JSON.object(object).serialized(pretty: true) + "\n"
  }

  static func generationConfigJSON(_ vocabulary: Vocabulary?) -> String {
    let trainer = vocabulary?.trainer
    let object = JSONObject([
      ("_from_model_config", .bool(true)),
      ("bos_token_id", .number(Int(trainer?.bosID ?? 1))),
      ("eos_token_id", .number(Int(trainer?.eosID ?? 2))),
      ("use_cache", .bool(true)),
    ])
    return JSON.object(object).serialized(pretty: true) + "\n"
  }

  /// Copies tokenizer files from the folder of the source's first file; when there are none but
  /// the checkpoint carries a vocabulary (GGUF, llama2.c), writes it as `tokenizer.model`.
  static func copyTokenizerFiles(from reader: any CheckpointReader, to output: OutputFolder, names: [String] = tokenizerFiles) throws {
    guard let first = reader.files.first else { return }
    let sourceFolder = try fileKind(atPath: first) == .directory ? first : String(first[..<(first.lastIndex(of: "/") ?? first.startIndex)])
    var copied = false
    for name in names {
      let path = (sourceFolder.isEmpty ? "." : sourceFolder) + "/" + name
      guard fileExists(atPath: path), try fileKind(atPath: path) == .regularFile else { continue }
      try output.write(try MappedFile(path: path).contents, to: name)
      copied = copied || name == "tokenizer.model" || name == "tokenizer.json"
    }
    if !copied, let vocabulary = try reader.vocabulary() {
      try output.write(SentencePieceModelWriter.serialize(vocabulary), to: "tokenizer.model")
    }
  }
}
