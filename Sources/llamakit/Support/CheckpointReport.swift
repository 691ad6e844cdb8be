import LlamaCore
import LlamaFormats
import LlamaIO
import LlamaTokenizer

/// What `llamakit inspect` prints about a checkpoint.
struct CheckpointReport {
  let reader: any CheckpointReader
  let path: String
  /// The vocabulary, or why it could not be read (a broken tokenizer file does not hide the
  /// weights).
  let vocabulary: Result<Vocabulary?, Error>

  init(reader: any CheckpointReader, path: String) {
    self.reader = reader
    self.path = path
    vocabulary = Result { try reader.vocabulary() }
  }

  /// Tensor count, elements and bytes per stored type, in ggml id order.
  var sizesByType: [(type: DType, tensors: Int, elements: Int, bytes: Int)] {
    var table: [DType: (Int, Int, Int)] = [:]
    for tensor in reader.tensors {
      let row = table[tensor.dtype] ?? (0, 0, 0)
      table[tensor.dtype] = (row.0 + 1, row.1 + tensor.elementCount, row.2 + tensor.byteCount)
    }
    return table.map { ($0.key, $0.value.0, $0.value.1, $0.value.2) }
      .sorted { ($0.type.ggmlID ?? .max, $0.type.name) < ($1.type.ggmlID ?? .max, $1.type.name) }
  }

  var parameterCount: Int { reader.tensors.reduce(0) { $0 + $1.elementCount } }

  func configJSON() -> JSONObject {
    let c = reader.config
    return JSONObject([
      ("architecture", .string(c.architecture)),
      ("vocab_size", .int(Int64(c.vocabSize))),
      ("hidden_size", .int(Int64(c.hiddenSize))),
      ("intermediate_size", .int(Int64(c.intermediateSize))),
      ("num_hidden_layers", .int(Int64(c.numHiddenLayers))),
      ("num_attention_heads", .int(Int64(c.numAttentionHeads))),
      ("num_key_value_heads", .int(Int64(c.numKeyValueHeads))),
      ("head_dim", .int(Int64(c.headDim))),
      ("rope_theta", .number(c.ropeTheta)),
      ("rms_norm_eps", .number(c.rmsNormEps)),
      ("context_length", c.contextLength.map { .int(Int64($0)) } ?? .null),
      ("tie_word_embeddings", .bool(c.tieWordEmbeddings)),
    ])
  }

  func tokenizerJSON() -> JSON {
    switch vocabulary {
    case .failure(let error): return .object(JSONObject([("error", .string("\(error)"))]))
    case .success(nil): return .null
    case .success(let v?):
      let ids = v.specialIDs
      func id(_ value: TokenID?) -> JSON { value.map { .int(Int64($0)) } ?? .null }
      return .object(JSONObject([
        ("source", .string(v.sourceKind)), ("file", .string(v.origin)), ("model_type", .string(v.trainer.modelType.name)),
        ("vocab_size", .int(Int64(v.count))),
        ("bos", id(ids.bos)), ("eos", id(ids.eos)), ("unk", id(ids.unk)), ("pad", id(ids.pad)),
      ]))
    }
  }

  func json() -> JSONObject {
    var types = JSONObject()
    for row in sizesByType {
      types[row.type.name] = .object(JSONObject([
        ("tensors", .int(Int64(row.tensors))), ("elements", .int(Int64(row.elements))), ("bytes", .int(Int64(row.bytes))),
      ]))
    }
    var metadata = JSONObject()
    for entry in reader.metadata { metadata[entry.key] = entry.value.json(arrayLimit: 64) }
    return JSONObject([
      ("path", .string(path)),
      ("format", .string(reader.format)),
      ("format_description", .string(reader.formatDescription)),
      ("files", .array(reader.files.map { .string($0) })),
      ("config", .object(configJSON())),
      ("parameters", .int(Int64(parameterCount))),
      ("types", .object(types)),
      ("tokenizer", tokenizerJSON()),
      ("metadata", .object(metadata)),
      ("tensors", .array(reader.tensors.map { t in
        .object(JSONObject([
          ("name", .string(t.name)), ("original_name", .string(t.originalName)),
          ("shape", .array(t.shape.map { .int(Int64($0)) })), ("type", .string(t.dtype.name)),
          ("bytes", .int(Int64(t.byteCount))), ("file", .string(t.file)), ("offset", .int(Int64(t.offset))),
          ("note", t.note.map { .string($0) } ?? .null),
        ]))
      })),
    ])
  }

  func text(tensors showTensors: Bool, metadata showMetadata: Bool) -> String {
    let c = reader.config
    var lines: [(String, String)] = [
      ("path", path),
      ("format", reader.formatDescription),
      ("files", reader.files.joined(separator: ", ")),
      ("architecture", c.architecture),
      ("vocabulary", "\(c.vocabSize)"),
      ("hidden size", "\(c.hiddenSize) (\(c.numAttentionHeads) heads of \(c.headDim), \(c.numKeyValueHeads) key/value heads)"),
      ("FFN size", "\(c.intermediateSize)"),
      ("layers", "\(c.numHiddenLayers)"),
      ("RoPE base", "\(c.ropeTheta)"),
      ("RMSNorm eps", "\(c.rmsNormEps)"),
      ("context length", c.contextLength.map(String.init) ?? "not stored in this format"),
      ("tied embeddings", c.tieWordEmbeddings ? "yes (no output.weight)" : "no"),
      ("parameters", "\(grouped(parameterCount)) in \(reader.tensors.count) tensors"),
    ]
    for row in sizesByType {
      lines.append(("  \(row.type.name)", "\(row.tensors) tensors, \(grouped(row.elements)) values, \(megabytes(row.bytes))"))
    }
    switch vocabulary {
    case .failure(let error): lines.append(("tokenizer", "unreadable: \(error)"))
    case .success(nil): lines.append(("tokenizer", "none found"))
    case .success(let v?):
      let ids = v.specialIDs
      lines.append(("tokenizer", "\(v.sourceKind) (\(v.origin)), \(v.count) pieces, bos \(ids.bos.map(String.init) ?? "none"), eos \(ids.eos.map(String.init) ?? "none")"))
    }
    var out = lines.map { "\($0.0.padding(17))\($0.1)\n" }.joined()
    if showMetadata {
      out += "\nmetadata (\(reader.metadata.count) entries)\n"
      for entry in reader.metadata {
        out += "  \(entry.key) [\(entry.value.typeName)] = \(entry.value.json(arrayLimit: 8).serialized())\n"
      }
    }
    if showTensors {
      out += "\n\("name".padding(28))\("stored name".padding(44))\("shape".padding(14))\("type".padding(8))\("bytes".padding(12))offset  file\n"
      for t in reader.tensors {
        let shape = t.shape.map(String.init).joined(separator: "×")
        out += "\(t.name.padding(28))\(t.originalName.padding(44))\(shape.padding(14))\(t.dtype.name.padding(8))\(String(t.byteCount).padding(12))\(t.offset)  \(t.file)"
        out += t.note.map { "  (\($0))" } ?? ""
        out += "\n"
      }
    }
    return out
  }

  func grouped(_ n: Int) -> String {
    let digits = Array(String(n))
    var out = ""
    for (i, d) in digits.enumerated() {
      if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
      out.append(d)
    }
    return out
  }

  func megabytes(_ bytes: Int) -> String {
    let mb = Double(bytes) / 1_048_576
    return mb >= 10 ? "\(Int(mb.rounded())) MiB" : "\((mb * 100).rounded() / 100) MiB"
  }
}
