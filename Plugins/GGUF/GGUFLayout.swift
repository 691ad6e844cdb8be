/// GGUF's numbers and key names, verbatim (ggml `docs/gguf.md`, gguf-py `constants.py`;
/// formats.md §1).
enum GGUFLayout {
  static let magic: [UInt8] = [0x47, 0x47, 0x55, 0x46]  // "GGUF"
  static let defaultAlignment = 32
  /// ggml's GGML_MAX_NAME is 64 bytes including the terminating NUL.
  static let maximumTensorNameBytes = 63
  static let maximumKeyBytes = 65535
  static let maximumDimensions = 4
  /// Caps that keep memory within a fixed bound whatever the counts say (real files hold some
  /// 50 keys, a few thousand tensors, and arrays of a few vocabulary sizes: under 2 million
  /// values). Each array element becomes a value of some 40 bytes in memory.
  static let maximumKeys = 1 << 16
  static let maximumTensors = 1 << 20
  static let maximumArrayElements = 1 << 23

  /// Metadata value types.
  enum ValueType: UInt32 {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, bool = 7
    case string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    var name: String {
      switch self {
      case .uint8: return "u8"
      case .int8: return "i8"
      case .uint16: return "u16"
      case .int16: return "i16"
      case .uint32: return "u32"
      case .int32: return "i32"
      case .float32: return "f32"
      case .bool: return "bool"
      case .string: return "string"
      case .array: return "array"
      case .uint64: return "u64"
      case .int64: return "i64"
      case .float64: return "f64"
      }
    }

    /// The fewest bytes one value of this type takes (a string: its u64 length).
    var minimumSize: Int {
      switch self {
      case .uint8, .int8, .bool: return 1
      case .uint16, .int16: return 2
      case .uint32, .int32, .float32: return 4
      case .uint64, .int64, .float64, .string: return 8
      case .array: return 12
      }
    }
  }

  enum Key {
    static let architecture = "general.architecture"
    static let alignment = "general.alignment"
    static let fileType = "general.file_type"
    static let splitCount = "split.count"
    // Per-architecture keys, after "<arch>.".
    static let contextLength = "context_length"
    static let embeddingLength = "embedding_length"
    static let blockCount = "block_count"
    static let feedForwardLength = "feed_forward_length"
    static let headCount = "attention.head_count"
    static let headCountKV = "attention.head_count_kv"
    static let rmsEpsilon = "attention.layer_norm_rms_epsilon"
    static let ropeFreqBase = "rope.freq_base"
    static let keyLength = "attention.key_length"
    static let vocabSize = "vocab_size"
    // Tokenizer.
    static let tokenizerModel = "tokenizer.ggml.model"
    static let tokens = "tokenizer.ggml.tokens"
    static let scores = "tokenizer.ggml.scores"
    static let tokenTypes = "tokenizer.ggml.token_type"
    static let bosID = "tokenizer.ggml.bos_token_id"
    static let eosID = "tokenizer.ggml.eos_token_id"
    static let unknownID = "tokenizer.ggml.unknown_token_id"
    static let paddingID = "tokenizer.ggml.padding_token_id"
    static let addSpacePrefix = "tokenizer.ggml.add_space_prefix"
    static let removeExtraWhitespaces = "tokenizer.ggml.remove_extra_whitespaces"
    static let precompiledCharsmap = "tokenizer.ggml.precompiled_charsmap"
  }

  /// `general.file_type` (llama_ftype) names.
  static let fileTypes: [Int64: String] = [
    0: "ALL_F32", 1: "MOSTLY_F16", 2: "MOSTLY_Q4_0", 3: "MOSTLY_Q4_1", 7: "MOSTLY_Q8_0", 8: "MOSTLY_Q5_0",
    9: "MOSTLY_Q5_1", 10: "MOSTLY_Q2_K", 11: "MOSTLY_Q3_K_S", 12: "MOSTLY_Q3_K_M", 13: "MOSTLY_Q3_K_L",
    14: "MOSTLY_Q4_K_S", 15: "MOSTLY_Q4_K_M", 16: "MOSTLY_Q5_K_S", 17: "MOSTLY_Q5_K_M", 18: "MOSTLY_Q6_K",
    25: "MOSTLY_IQ4_NL", 30: "MOSTLY_IQ4_XS", 32: "MOSTLY_BF16",
  ]
}
