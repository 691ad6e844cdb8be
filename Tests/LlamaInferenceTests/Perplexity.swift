import LlamaEval
import LlamaInference
import LlamaKit

/// llama.cpp's chunked perplexity (LlamaEval's `ChunkedPerplexity`) of the first `chunks` chunks.
func chunkedPerplexity(_ session: InferenceSession, tokens: [Int], context: Int, chunks: Int, bos: Int) throws -> (ppl: Double, scored: Int) {
  let result = try ChunkedPerplexity(tokenCount: tokens.count, contextLength: context, chunks: chunks, bos: bos).run(session, tokens: tokens)
  return (result.perplexity, result.scoredTokens)
}
