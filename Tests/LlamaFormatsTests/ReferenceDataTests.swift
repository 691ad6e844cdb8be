import LlamaCore
import LlamaFormats
import LlamaKit
import Testing

/// The full reference models (LLAMAKIT_REFERENCE_DATA): M0 in every format and every GGUF
/// type, M1 sharded safetensors, 2-shard Meta and GGUF. Skipped, saying so, without the data.
@Suite("reference models", .enabled(if: ModelFixtures.referenceModels != nil, "\(ModelFixtures.skipNote)"))
struct ReferenceDataTests {
  static let m0GGUF = ["F16", "IQ4_NL", "Q2_K", "Q3_K_M", "Q4_0", "Q4_1", "Q4_K_M", "Q5_0", "Q5_K_M", "Q6_K", "Q8_0"]

  var models: String { ModelFixtures.referenceModels! }

  @Test("M0: hf, meta, llama2c have the Hugging Face tensors bit for bit", arguments: ["hf", "meta", "llama2c"])
  func m0Formats(folder: String) throws {
    let reference = try ModelFixtures.hfTensors(models + "/m0/hf")
    let hf = try ModelFiles.open(models + "/m0/hf")
    let reader = try ModelFiles.open(models + "/m0/" + folder)
    var config = reader.config
    if folder == "meta" { config.contextLength = hf.config.contextLength }
    #expect(config == hf.config)
    let failures = try compareWithReference(reader, reference)
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test("M0 GGUF: same configuration; tensors equal gguf-py's dequantization", arguments: m0GGUF)
  func m0GGUFTypes(type: String) throws {
    let relative = "m0/gguf/m0.\(type).gguf"
    let reader = try ModelFiles.open(models + "/" + relative)
    #expect(reader.config == (try ModelFiles.open(models + "/m0/hf").config))
    let expected = try #require(ModelFixtures.referenceHashes[relative])
    #expect(expected.count == reader.tensors.count)
    for (name, typeName, hash) in expected {
      let tensor = try reader.tensor(name)
      #expect(tensor.dtype.name == typeName)
      #expect(ModelFixtures.fnv1a64(try tensor.floats()) == hash, "\(relative): \(name) \(typeName)")
    }
    if type == "F16" {
      let failures = try compareWithReference(reader, try ModelFixtures.hfTensors(models + "/m0/hf"))
      #expect(failures.isEmpty, "\(failures.prefix(5))")
    }
  }

  @Test("M1: sharded safetensors, 2-shard Meta and GGUF agree")
  func m1() throws {
    let hf = try ModelFiles.open(models + "/m1/hf")
    #expect(hf.formatDescription == "safetensors, 2 shards")
    let reference = try ModelFixtures.hfTensors(models + "/m1/hf")
    let meta = try ModelFiles.open(models + "/m1/meta")
    var config = meta.config
    config.contextLength = hf.config.contextLength
    #expect(config == hf.config)
    let failures = try compareWithReference(meta, reference)
    #expect(failures.isEmpty, "\(failures.prefix(5))")
    let gguf = try ModelFiles.open(models + "/m1/gguf/m1.Q8_0.gguf")
    #expect(gguf.config == hf.config)
    let expected = try #require(ModelFixtures.referenceHashes["m1/gguf/m1.Q8_0.gguf"])
    for (name, _, hash) in expected {
      #expect(ModelFixtures.fnv1a64(try gguf.tensor(name).floats()) == hash, Comment(rawValue: name))
    }
    // The F16 tensors of the Q8_0 file (ffn_down, rows of 344) are the HF tensors exactly.
    for info in gguf.tensors where info.dtype == .f16 {
      #expect(try gguf.tensor(info.name).floats() == reference[info.name]!, Comment(rawValue: info.name))
    }
  }

  @Test("vocabularies from GGUF and tokenizer.bin equal tokenizer.model")
  func vocabularies() throws {
    for (model, sources) in [("m0", ["gguf/m0.F16.gguf", "gguf/m0.Q2_K.gguf", "llama2c"]), ("m1", ["gguf/m1.Q8_0.gguf"])] {
      let reference = try #require(try ModelFiles.open(models + "/\(model)/hf").vocabulary())
      for source in sources {
        let vocabulary = try #require(try ModelFiles.open(models + "/\(model)/" + source).vocabulary())
        #expect(vocabulary.pieces.elementsEqual(reference.pieces) { $0.utf8.elementsEqual($1.utf8) }, "\(source)")
        #expect(vocabulary.scores! == reference.scores!, "\(source)")
        #expect(vocabulary.types == reference.types, "\(source)")
      }
    }
  }
}
