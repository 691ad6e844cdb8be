import LlamaCore
import LlamaFormats
import LlamaTokenizer

/// The metadata of a LLaMA GGUF file, shared by `synth` and `convert`.
enum LlamaGGUFMetadata {
  /// general.*, llama.* and tokenizer.ggml.* entries as convert_hf_to_gguf.py writes them for a
  /// LLaMA model; without a vocabulary, a synthetic one of the model's size (special tokens, the
  /// 256 byte tokens, made-up pieces).
  static func entries(
    config c: ModelConfig, name: String, fileType: Int64, quantized: Bool, vocabulary: Vocabulary?
  ) -> [(String, MetadataValue)] {
    func u32(_ v: Int) -> MetadataValue { .integer(Int64(v), type: "u32") }
    func f32(_ v: Float) -> MetadataValue { .float(Double(v), type: "f32") }
    var entries: [(String, MetadataValue)] = [
      ("general.architecture", .string("llama")),
      ("general.name", .string(name)),
      ("general.file_type", u32(Int(fileType))),
      ("llama.vocab_size", u32(c.vocabSize)),
      ("llama.context_length", u32(c.contextLength ?? 2048)),
      ("llama.embedding_length", u32(c.hiddenSize)),
      ("llama.block_count", u32(c.numHiddenLayers)),
      ("llama.feed_forward_length", u32(c.intermediateSize)),
      ("llama.rope.dimension_count", u32(c.headDim)),
      ("llama.attention.head_count", u32(c.numAttentionHeads)),
      ("llama.attention.head_count_kv", u32(c.numKeyValueHeads)),
      ("llama.attention.layer_norm_rms_epsilon", f32(c.rmsNormEps)),
      ("llama.rope.freq_base", f32(c.ropeTheta)),
    ]
    if quantized { entries.append(("general.quantization_version", u32(2))) }
    let (pieces, scores, kinds) = tokenizerArrays(vocabulary, size: c.vocabSize)
    entries += [
      ("tokenizer.ggml.model", .string("llama")),
      ("tokenizer.ggml.tokens", .array(pieces.map { .string($0) }, elementType: "string")),
      ("tokenizer.ggml.scores", .array(scores.map { f32($0) }, elementType: "f32")),
      ("tokenizer.ggml.token_type", .array(kinds.map { .integer(Int64($0), type: "i32") }, elementType: "i32")),
      ("tokenizer.ggml.bos_token_id", u32(Int(vocabulary?.trainer.bosID ?? 1))),
      ("tokenizer.ggml.eos_token_id", u32(Int(vocabulary?.trainer.eosID ?? 2))),
      ("tokenizer.ggml.unknown_token_id", u32(Int(vocabulary?.trainer.unkID ?? 0))),
      ("tokenizer.ggml.add_bos_token", .bool(true)),
      ("tokenizer.ggml.add_eos_token", .bool(false)),
    ]
    return entries
  }

  /// Pieces, scores and llama.cpp token types (1 normal, 2 unknown, 3 control, 6 byte).
  static func tokenizerArrays(_ vocabulary: Vocabulary?, size: Int) -> ([String], [Float], [Int]) {
    if let vocabulary {
      // A vocabulary without scores (tokenizer.json) gets rank order as scores.
      let scores = vocabulary.scores ?? vocabulary.pieces.indices.map { -Float($0) }
      return (vocabulary.pieces, scores, vocabulary.types.map { Int($0.rawValue) })
    }
    var pieces = ["<unk>", "<s>", "</s>"]
    var kinds = [2, 3, 3]
    for byte in 0..<256 where pieces.count < size {
      pieces.append("<0x" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2) + ">")
      kinds.append(6)
    }
    let letters = Array("abcdefghijklmnopqrstuvwxyz")
    var n = 0
    while pieces.count < size {
      var word = "", k = n
      repeat {
        word.append(letters[k % 26])
        k /= 26
      } while k > 0
      pieces.append("\u{2581}" + word)
      kinds.append(1)
      n += 1
    }
    return (pieces, pieces.indices.map { -Float($0) }, kinds)
  }
}

extension String {
  fileprivate func leftPadded(to width: Int) -> String {
    count >= width ? self : String(repeating: "0", count: width - count) + self
  }
}
