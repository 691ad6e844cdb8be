import GGUF
import Llama2C
import LlamaFormats
import LlamaInference
import LlamaIO
import LlamaTokenizer

/// Opening checkpoints and tokenizers from any path a user gives.
public enum ModelFiles {
  /// The checkpoint at `path` (a file or a folder, any built-in format).
  public static func open(_ path: String) throws -> any CheckpointReader {
    try builtinFormats.open(path)
  }

  /// A tokenizer from a tokenizer file, a folder holding one, or a checkpoint that carries a
  /// vocabulary (GGUF metadata, a llama2.c folder with tokenizer.bin).
  public static func tokenizer(_ path: String) throws -> any Tokenizer {
    if try fileKind(atPath: path) == .directory, (try? TokenizerLoader.resolve(path: path)) != nil {
      return try TokenizerLoader.load(path: path)
    }
    let location = try CheckpointLocation(path: path)
    for format in [GGUFFormat.self, Llama2CFormat.self] as [any CheckpointFormat.Type] where try format.sniff(location) {
      guard let vocabulary = try format.open(location).vocabulary() else {
        throw TokenizerError.unrecognizedFile(path: path, tried: "a \(format.id) checkpoint with a vocabulary (this one has none)")
      }
      return try SentencePieceTokenizer(vocabulary: vocabulary)
    }
    return try TokenizerLoader.load(path: path)
  }
}

extension ModelFiles {
  /// The model at `path` (any format), loaded for inference.
  public static func model(_ path: String) throws -> LlamaModel {
    let reader = try open(path)
    return try LlamaModel(config: reader.config, tensors: reader)
  }
}

extension ModelFiles {
  /// The tokenizer of the checkpoint at `path`: its own vocabulary (GGUF, llama2.c), else the
  /// tokenizer file in its folder (tokenizer.model, tokenizer.json, …).
  public static func tokenizer(forModel path: String) throws -> any Tokenizer {
    if try fileKind(atPath: path) != .directory {
      let location = try CheckpointLocation(path: path)
      let formats: [any CheckpointFormat.Type] = [GGUFFormat.self, Llama2CFormat.self]
      var carriesVocabulary = false
      for format in formats where try format.sniff(location) { carriesVocabulary = true }
      if !carriesVocabulary {
        let folder = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        return try tokenizer(folder.isEmpty ? "/" : folder)
      }
    }
    return try tokenizer(path)
  }
}
