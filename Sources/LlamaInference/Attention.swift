import LlamaCore
import LlamaKernels

extension InferenceSession {
  /// Causal attention of every (token, head) of the batch over the cached positions; query
  /// heads share key/value heads in groups (GQA, MQA). One token goes key by key; a batch goes
  /// head by head as two matrix products (scores = Q·Kᵀ, output = P·V) with the f32 kernels.
  func attend(layer: Int, tokens count: Int, start: Int) {
    if count >= 4 {
      attendBatch(layer: layer, tokens: count, start: start)
      return
    }
    let config = model.config
    let b = buffers
    let heads = config.numAttentionHeads, headDim = config.headDim
    let group = heads / config.numKeyValueHeads
    let qDim = heads * headDim
    let scale = Float(1 / Double(headDim).squareRoot())
    let contextLength = contextLength
    pool.run { worker in
      let scores = b.scores + worker * contextLength
      for unit in WorkerPool.share(count * heads, of: threadCount, index: worker) {
        let t = unit / heads, h = unit % heads
        let length = start + t + 1
        let query = b.q + t * qDim + h * headDim
        let keys = b.keys + cacheSlot(layer: layer, kvHead: h / group, position: 0)
        let values = b.values + cacheSlot(layer: layer, kvHead: h / group, position: 0)
        for j in 0..<length { scores[j] = VectorOps.dot(query, keys + j * headDim, headDim) }
        VectorOps.softmax(scores, length, scale: scale)
        let out = b.attention + t * qDim + h * headDim
        out.update(repeating: 0, count: headDim)
        for j in 0..<length { VectorOps.addScaled(out, values + j * headDim, scores[j], headDim) }
      }
    }
  }

  /// The batch path: per head and tile of queries, S = Q·Kᵀ over the positions the tile sees
  /// (the cached keys are rows of the f32 kernel, the queries its tokens), masked above the
  /// diagonal and softmaxed row by row; then P·V is one more product with the head's values,
  /// transposed once per head, as rows.
  func attendBatch(layer: Int, tokens count: Int, start: Int) {
    let config = model.config
    let b = buffers
    let heads = config.numAttentionHeads, headDim = config.headDim
    let group = heads / config.numKeyValueHeads
    let qDim = heads * headDim
    let length = start + count
    let scale = Float(1 / Double(headDim).squareRoot())
    let contextLength = contextLength, batchSize = batchSize
    let f32 = MatrixKernel.kernel(for: .f32)!
    let reference = referenceKernels
    /// rows × tokens product with the f32 kernels (block kernel where the CPU has one); rows are
    /// `rowStride` floats apart.
    func product(
      _ w: UnsafePointer<Float>, rows: Int, rowStride: Int, _ x: UnsafePointer<Float>, xStride: Int, tokens: Int, n: Int,
      _ out: UnsafeMutablePointer<Float>, outStride: Int
    ) {
      let (wRaw, xRaw) = (UnsafeRawPointer(w), UnsafeRawPointer(x))
      if !reference, let block = f32.block {
        block(wRaw, 4 * rowStride, rows, xRaw, 4 * xStride, tokens, n, out, outStride)
      } else {
        let kernel = reference ? f32.reference : f32.simd
        for r in 0..<rows { kernel(wRaw + 4 * rowStride * r, xRaw, 4 * xStride, tokens, n, out + r, outStride) }
      }
    }
    // Query tiles: a tile's scores stop at its last position, so the masked corner of the
    // causal square is mostly not computed.
    let tile = 64
    pool.run { worker in
      let scores = b.batchScores + worker * batchSize * contextLength
      let transposed = b.valuesTransposed + worker * headDim * contextLength
      var transposedHead = -1
      for h in WorkerPool.share(heads, of: threadCount, index: worker) {
        let kvHead = h / group
        let keys = b.keys + cacheSlot(layer: layer, kvHead: kvHead, position: 0)
        let values = b.values + cacheSlot(layer: layer, kvHead: kvHead, position: 0)
        if transposedHead != kvHead {
          for j in 0..<length {
            for d in 0..<headDim { transposed[d * length + j] = values[j * headDim + d] }
          }
          transposedHead = kvHead
        }
        var t0 = 0
        while t0 < count {
          let t1 = min(count, t0 + tile)
          let seen = start + t1
          let tileScores = scores + t0 * length
          product(
            keys, rows: seen, rowStride: headDim, b.q + t0 * qDim + h * headDim, xStride: qDim, tokens: t1 - t0,
            n: headDim, tileScores, outStride: length)
          for t in t0..<t1 {
            let row = scores + t * length
            let visible = start + t + 1
            VectorOps.softmax(row, visible, scale: scale)
            (row + visible).update(repeating: 0, count: seen - visible)
          }
          product(
            transposed, rows: headDim, rowStride: length, tileScores, xStride: length, tokens: t1 - t0, n: seen,
            b.attention + t0 * qDim + h * headDim, outStride: qDim)
          t0 = t1
        }
      }
    }
  }
}
