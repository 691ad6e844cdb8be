import LlamaCore
import LlamaTokenizer

/// What Hugging Face checkpoints (safetensors and pytorch_model.bin) share: names, the q/k
/// layout, the tokenizer files beside the weights.
public enum HuggingFaceLayout {
  /// The canonical name of a Hugging Face tensor and, for `q_proj`/`k_proj`, the row map that
  /// un-permutes it to the interleaved layout (formats.md §3): canonical row r is stored row
  /// `rowMap[r]`. nil for names that are not LLaMA tensors.
  public static func canonical(_ original: String, shape: [Int], config: ModelConfig, path: String) throws
    -> (name: String, rowMap: [Int32]?)?
  {
    guard let name = TensorNameMap.huggingFace.canonical(original) else { return nil }
    guard let (_, layer) = CanonicalName.parseLayer(name), layer == .attentionQ || layer == .attentionK else {
      return (name, nil)
    }
    let heads = layer == .attentionQ ? config.numAttentionHeads : config.numKeyValueHeads
    guard let rows = shape.first, let map = QKPermutation.hfRowForCanonicalRow(rows: rows, heads: heads),
      rows == heads * config.headDim
    else {
      throw FormatError.shapeMismatch(
        path: path, name: original, expected: [heads * config.headDim, config.hiddenSize], actual: shape)
    }
    return (name, map)
  }
}

/// Tokenizer files that sit beside checkpoint weights.
public enum TokenizerFiles {
  /// The vocabulary of `tokenizer.model`, `tokenizer.json` or `tokenizer.bin` in `folder`, in
  /// that order; nil when there is none.
  public static func vocabulary(inFolder folder: String) throws -> Vocabulary? {
    guard (try? TokenizerLoader.resolve(path: folder)) != nil else { return nil }
    return try TokenizerLoader.load(path: folder).vocabulary
  }
}
