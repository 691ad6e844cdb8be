import Llama2C
import LlamaCore
import LlamaFormats
import LlamaIO
import LlamaTokenizer

/// Any readable checkpoint written as a llama2.c model: `model.bin` in version 0 (f32, what
/// run.c reads) or version 2 (int8 groups, runq.c) and `tokenizer.bin` beside it. llama2.c
/// stores neither RoPE θ nor the RMSNorm ε (run.c assumes 10000 and 1e-5): a model with other
/// values is refused rather than silently changed.
public enum Llama2CConversion {
  /// `destination` is the model file, or a folder that gets `model.bin`.
  public static func write(
    _ reader: any CheckpointReader, to destination: String, version: Llama2CWriter.Version = .legacy,
    overwrite: Bool = false, progress: (ConversionProgress) -> Void = { _ in }
  ) throws {
    let isFolder = try fileExists(atPath: destination) && fileKind(atPath: destination) == .directory
    let path = isFolder ? destination + "/model.bin" : destination
    let folder = isFolder ? destination : String(destination[..<(destination.lastIndex(of: "/") ?? destination.startIndex)])
    let tokenizerPath = (folder.isEmpty ? "" : folder + "/") + "tokenizer.bin"
    var config = reader.config
    let names = Set(reader.tensors.map(\.name))
    config.tieWordEmbeddings = !names.contains(CanonicalName.output)
    for info in reader.tensors where !info.dtype.isDequantizable {
      throw FormatError.unwritable(path: path, detail: "tensor \(info.name): \(reader.sourceName) stores it as \(info.dtype), which LlamaKit cannot read")
    }
    let vocabulary = try reader.vocabulary()
    if !overwrite, vocabulary != nil, fileExists(atPath: tokenizerPath) { throw IOError.outputExists(path: tokenizerPath) }
    let writer = try Llama2CWriter(path: path, overwrite: overwrite, config: config, version: version)
    var done = ConversionProgress(tensorCount: writer.tensors.count, totalBytes: writer.tensors.reduce(0) { $0 + $1.byteCount })
    for plan in writer.tensors {
      try TensorEncoding.write(try reader.tensor(plan.name), as: .f32) { try writer.write($0) }
      done.add(plan)
      progress(done)
    }
    try writer.finish()
    if let vocabulary {
      try AtomicFile.write(Llama2CTokenizerFile.serialize(vocabulary), to: tokenizerPath)
    }
  }
}
