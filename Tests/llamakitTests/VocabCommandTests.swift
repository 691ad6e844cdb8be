import Foundation
import LlamaIO
import Testing

@Suite("llamakit vocab")
struct VocabCommandTests {
  static let tokenizers: [String] =
    ["llama2", "mistral-v0.3", "chinese-llama2", "internlm-v1", "yi", "spm-bpe-1k", "spm-bpe-nfkc"]
    .map { CLI.tokenizers + "/\($0)/tokenizer.model" }
    + [CLI.tokenizers + "/llama2/tokenizer.bin", CLI.tokenizers + "/llama2/tokenizer.json.xz",
       CLI.tokenizers + "/llama2/hf-transformers-4.57.6-legacy/tokenizer.json.xz"]

  @Test("summary as text and as valid JSON", arguments: tokenizers)
  func summary(path: String) throws {
    let text = try CLI.run(["vocab", path])
    #expect(text.status == 0, "\(text.stderr)")
    #expect(text.stdout.contains("model type        BPE"))
    let result = try CLI.run(["vocab", path, "--json"])
    #expect(result.status == 0)
    let json = try CLI.json(result.stdout)
    let size = try #require(json["vocab_size"]?.intValue)
    let counts = try #require(json["piece_types"]?.objectValue)
    #expect(counts.entries.compactMap(\.value.intValue).reduce(0, +) == size)
    #expect(json["model_type"] == .string("BPE"))
  }

  @Test("facts of the shared tokenizers")
  func facts() throws {
    let nfkc = try CLI.json(try CLI.run(["vocab", CLI.tokenizers + "/spm-bpe-nfkc/tokenizer.model", "--json"]).stdout)
    #expect(nfkc["normalizer"]?["name"] == .string("nmt_nfkc"))
    #expect(nfkc["normalizer"]?["precompiled_charsmap_bytes"] == .int(240007))
    #expect(nfkc["special_ids"]?["pad"] == .int(3))
    #expect(nfkc["trainer"]?["byte_fallback"] == .bool(false))
    let chinese = try CLI.json(try CLI.run(["vocab", CLI.tokenizers + "/chinese-llama2/tokenizer.model", "--json"]).stdout)
    #expect(chinese["vocab_size"] == .int(55296))
    #expect(chinese["trainer_vocab_size"] == .int(32000))
    let yi = try CLI.json(try CLI.run(["vocab", CLI.tokenizers + "/yi/tokenizer.model", "--json"]).stdout)
    #expect(yi["piece_types"]?["USER_DEFINED"] == .int(294))
    #expect(yi["normalizer"]?["add_dummy_prefix"] == .bool(false))
    #expect(yi["special_ids"]?["bos"] == .int(1))
    let internlm = try CLI.json(try CLI.run(["vocab", CLI.tokenizers + "/internlm-v1/tokenizer.model", "--json", "--id", "354"]).stdout)
    #expect(internlm["matches"]?.arrayValue?.first?["type"] == .string("UNUSED"))
  }

  @Test("--id, --piece and --search")
  func lookups() throws {
    let result = try CLI.run(["vocab", CLI.llama2, "--id", "15043", "--piece", " world", "--search", "Hello", "--json"])
    let matches = try #require(try CLI.json(result.stdout)["matches"]?.arrayValue)
    #expect(matches.first?["piece"] == .string("▁Hello"))
    #expect(matches.first?["score"]?.doubleValue == -14784)
    #expect(matches.first?["type"] == .string("NORMAL"))
    #expect(matches[1]["id"] == .int(3186))
    #expect(matches.count == 3)  // ▁Hello, Hello and ▁world
    #expect(matches.allSatisfy { $0["piece"]!.stringValue!.contains("Hello") || $0["id"] == .int(3186) })
    let text = try CLI.run(["vocab", CLI.llama2, "--search", "ell", "--limit", "2"])
    #expect(text.stdout.contains("more (raise --limit or use --json)"))
  }

  @Test("--diff lists differences and parses as JSON")
  func diff() throws {
    let same = try CLI.json(try CLI.run(["vocab", CLI.llama2, "--diff", CLI.tokenizers + "/llama2/tokenizer.bin", "--json"]).stdout)
    #expect(same["identical"] == .bool(true))
    let mistral = CLI.tokenizers + "/mistral-v0.3/tokenizer.model"
    let diff = try CLI.json(try CLI.run(["vocab", CLI.llama2, "--diff", mistral, "--json"]).stdout)
    #expect(diff["identical"] == .bool(false))
    // Counts computed with sentencepiece 0.2.3 (pieces compared as bytes).
    #expect(diff["only_in_a"]?.arrayValue?.count == 7816)
    #expect(diff["only_in_b"]?.arrayValue?.count == 8584)
    #expect(diff["other_id"]?.arrayValue?.count == 24181)
    #expect(diff["other_score_or_type"]?.arrayValue?.count == 0)
    let chinese = try CLI.json(try CLI.run(["vocab", CLI.llama2, "--diff", CLI.tokenizers + "/chinese-llama2/tokenizer.model", "--json"]).stdout)
    #expect(chinese["only_in_b"]?.arrayValue?.count == 23296)
    #expect(chinese["other_id"]?.arrayValue?.count == 0)
    let hf = try CLI.json(try CLI.run(["vocab", CLI.llama2, "--diff", CLI.tokenizers + "/llama2/tokenizer.json.xz", "--json"]).stdout)
    #expect(hf["other_score_or_type"]?.arrayValue?.count == 1)  // <unk>: UNKNOWN vs a special token
    let text = try CLI.run(["vocab", CLI.llama2, "--diff", mistral])
    #expect(text.stdout.contains("only in B: 8584"))
    for path in Self.tokenizers {
      let r = try CLI.run(["vocab", path, "--diff", CLI.llama2, "--json"])
      #expect(r.status == 0)
      _ = try CLI.json(r.stdout)
    }
  }
}
