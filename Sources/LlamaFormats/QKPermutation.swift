/// The q/k row permutation between Hugging Face's half-split RoPE layout and the interleaved
/// layout of Meta, GGUF and llama2.c (formats.md §3.2). Applied to `q_proj` with the attention
/// head count and to `k_proj` with the key/value head count; never to v, o or the MLP.
public enum QKPermutation {
  /// For each canonical (interleaved) row, the Hugging Face row holding it: Meta row
  /// h·hd + 2i + j ← HF row h·hd + j·(hd/2) + i.
  public static func hfRowForCanonicalRow(rows: Int, heads: Int) -> [Int32]? {
    guard heads > 0, rows % heads == 0, (rows / heads) % 2 == 0 else { return nil }
    let headDim = rows / heads
    var map = [Int32](repeating: 0, count: rows)
    for h in 0..<heads {
      for i in 0..<(headDim / 2) {
        for j in 0..<2 {
          map[h * headDim + 2 * i + j] = Int32(h * headDim + j * (headDim / 2) + i)
        }
      }
    }
    return map
  }

  /// The inverse: for each Hugging Face row, the canonical row holding it.
  public static func canonicalRowForHFRow(rows: Int, heads: Int) -> [Int32]? {
    guard let forward = hfRowForCanonicalRow(rows: rows, heads: heads) else { return nil }
    var inverse = [Int32](repeating: 0, count: rows)
    for (canonical, hf) in forward.enumerated() { inverse[Int(hf)] = Int32(canonical) }
    return inverse
  }
}
