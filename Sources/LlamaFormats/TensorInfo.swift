import LlamaCore

/// What a reader says about one tensor without touching its data.
public struct TensorInfo: Sendable, Equatable {
  /// Canonical (GGUF) name.
  public var name: String
  /// The name stored in the file.
  public var originalName: String
  /// Row-major shape (canonical).
  public var shape: [Int]
  public var dtype: DType
  /// Bytes of the tensor in its stored type.
  public var byteCount: Int
  /// The file holding the data (the first one for merged shards).
  public var file: String
  /// Absolute offset of the data in `file`.
  public var offset: Int
  /// Anything a user should know: "q/k rows un-permuted from the HF layout", "merged from 2
  /// shards along dimension 0", …
  public var note: String?

  public init(
    name: String, originalName: String, shape: [Int], dtype: DType, byteCount: Int, file: String,
    offset: Int, note: String? = nil
  ) {
    self.name = name
    self.originalName = originalName
    self.shape = shape
    self.dtype = dtype
    self.byteCount = byteCount
    self.file = file
    self.offset = offset
    self.note = note
  }

  public var elementCount: Int { LlamaCore.elementCount(shape) ?? 0 }
}
