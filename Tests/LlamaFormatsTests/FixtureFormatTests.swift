import GGUF
import LlamaCore
import LlamaFormats
import LlamaIO
import LlamaKit
import LlamaTokenizer
import Testing

/// Every fixture format of M0 gives the same configuration and the same tensors as the Hugging
/// Face safetensors files (bit-exact after rounding to the stored type).
@Suite("M0 in every fixture format")
struct FixtureFormatTests {
  static let formats: [(path: String, format: String)] = [
    ("hf", "safetensors"), ("gguf/m0.F16.gguf", "gguf"), ("pytorch-f16", "pytorch"),
    ("pytorch-bf16-sharded", "pytorch"), ("meta-bf16-2shards", "pytorch"),
  ]

  @Test("same configuration and tensors as the safetensors weights", arguments: formats)
  func sameAsHuggingFace(path: String, format: String) throws {
    let reference = try ModelFixtures.m0Reference()
    let hf = try ModelFiles.open(ModelFixtures.m0 + "/hf")
    let reader = try ModelFiles.open(ModelFixtures.m0 + "/" + path)
    #expect(reader.format == format)
    var config = reader.config
    if path.hasPrefix("meta") {
      #expect(config.contextLength == nil)  // params.json does not store it
      config.contextLength = hf.config.contextLength
    }
    #expect(config == hf.config)
    let failures = try compareWithReference(reader, reference)
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test("quantized GGUF tensors equal gguf-py's dequantization")
  func quantizedFile() throws {
    let reader = try ModelFiles.open(ModelFixtures.m0 + "/gguf/m0.Q4_K_M.gguf")
    let hf = try ModelFiles.open(ModelFixtures.m0 + "/hf")
    #expect(reader.config == hf.config)
    let expected = try #require(ModelFixtures.referenceHashes["m0/gguf/m0.Q4_K_M.gguf"])
    #expect(expected.count == reader.tensors.count)
    for (name, type, hash) in expected {
      let tensor = try reader.tensor(name)
      #expect(tensor.dtype.name == type)
      #expect(ModelFixtures.fnv1a64(try tensor.floats()) == hash, "\(name) \(type)")
      #expect(ModelFixtures.fnv1a64(try tensor.floats(reference: true)) == hash, "\(name) \(type) (scalar)")
    }
  }

  @Test("quantized rows of every GGUF type equal gguf-py's dequantization")
  func quantSamples() throws {
    let file = try GGUFFile(path: ModelFixtures.m0 + "/gguf/quant-samples.gguf")
    let samples = file.tensors.filter { !$0.name.hasSuffix(".expected") }
    let types = Set(samples.map(\.dtype.name))
    #expect(types == ["Q2_K", "Q3_K", "Q4_0", "Q4_1", "Q4_K", "Q5_0", "Q5_K", "Q6_K", "Q8_0", "IQ4_NL"])
    for sample in samples {
      let expected = try file.tensor(sample.name + ".expected").floats()
      let tensor = try file.tensor(sample.name)
      #expect(try tensor.floats().map(\.bitPattern) == expected.map(\.bitPattern), "\(sample.name)")
      #expect(try tensor.floats(reference: true).map(\.bitPattern) == expected.map(\.bitPattern), "\(sample.name) (scalar)")
    }
  }

  @Test("vocabularies from GGUF metadata equal tokenizer.model")
  func vocabularies() throws {
    let model = try #require(try ModelFiles.open(ModelFixtures.m0 + "/hf").vocabulary())
    for path in ["gguf/m0.F16.gguf", "gguf/m0.Q4_K_M.gguf"] {
      let gguf = try #require(try ModelFiles.open(ModelFixtures.m0 + "/" + path).vocabulary())
      #expect(gguf.pieces.elementsEqual(model.pieces) { $0.utf8.elementsEqual($1.utf8) })
      #expect(gguf.scores! == model.scores!)
      #expect(gguf.types == model.types)
      #expect(gguf.specialIDs == model.specialIDs)
      let tokenizer = try ModelFiles.tokenizer(ModelFixtures.m0 + "/" + path)
      let reference = try ModelFiles.tokenizer(ModelFixtures.m0 + "/hf/tokenizer.model")
      #expect(tokenizer.encode("Hello world, 2024!") == reference.encode("Hello world, 2024!"))
    }
  }

  @Test("tensor infos: canonical and stored names, offsets inside the files")
  func infos() throws {
    let hf = try ModelFiles.open(ModelFixtures.m0 + "/hf")
    let q = try #require(hf.tensors.first { $0.name == "blk.0.attn_q.weight" })
    #expect(q.originalName == "model.layers.0.self_attn.q_proj.weight")
    #expect(q.shape == [256, 256] && q.dtype == .f32 && q.byteCount == 262_144)
    #expect(q.note == "rows un-permuted from the Hugging Face q/k layout")
    let meta = try ModelFiles.open(ModelFixtures.m0 + "/meta-bf16-2shards")
    let wo = try #require(meta.tensors.first { $0.name == "blk.1.attn_output.weight" })
    #expect(wo.originalName == "layers.1.attention.wo.weight")
    #expect(wo.shape == [256, 256] && wo.note == "merged from 2 shards along dimension 1")
    for reader in [hf, meta, try ModelFiles.open(ModelFixtures.m0 + "/gguf/m0.F16.gguf")] {
      for info in reader.tensors {
        let size = try MappedFile(path: info.file).count
        // A merged tensor's bytes are spread over the shards; its offset is in the first one.
        let bytesInFile = info.note?.hasPrefix("merged") == true ? 1 : info.byteCount
        #expect(info.offset >= 0 && info.offset + bytesInFile <= size, "\(info.name) in \(info.file)")
      }
    }
  }

  @Test("the format-blind lookup: with a shape check, without, and contains")
  func tensorSource() throws {
    let source: any TensorSource = try ModelFiles.open(ModelFixtures.m0 + "/gguf/m0.F16.gguf")
    #expect(source.contains("blk.1.ffn_down.weight") && !source.contains("blk.2.ffn_down.weight"))
    #expect(try source.tensor("blk.1.ffn_down.weight", shape: [256, 768]).dtype == .f16)
    #expect(errorMessage { _ = try source.tensor("blk.1.ffn_down.weight", shape: [768, 256]) }
      == "\(ModelFixtures.m0)/gguf/m0.F16.gguf: tensor blk.1.ffn_down.weight has shape [256, 768], expected [768, 256]")
    #expect(errorMessage { _ = try source.tensor("blk.9.attn_q.weight") }
      == "\(ModelFixtures.m0)/gguf/m0.F16.gguf: no tensor blk.9.attn_q.weight")
  }

  @Test("an unknown file is an error listing what was tried")
  func unknown() throws {
    let path = ModelFixtures.root + "/reference-dequant.json"
    do {
      _ = try ModelFiles.open(path)
      Issue.record("opened \(path)")
    } catch {
      let text = "\(error)"
      #expect(text.hasPrefix("\(path): not a recognized checkpoint (tried gguf: "))
      #expect(text.contains("safetensors:") && text.contains("pytorch:") && text.contains("llama2c:"))
    }
  }
}
