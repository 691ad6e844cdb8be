import LlamaCore
import LlamaKernels

/// Prepared input rows for matrix products: f32 rows, or one 8-bit format per weight type in use.
struct PreparedInput {
  let floats: UnsafeMutablePointer<Float>
  let floatStride: Int
  let quantized: [ActivationFormat: (UnsafeMutableRawPointer, Int)]

  func rows(for kernel: MatrixKernel) -> (UnsafeRawPointer, Int) {
    guard let format = kernel.activation else { return (UnsafeRawPointer(floats), 4 * floatStride) }
    let (base, stride) = quantized[format]!
    return (UnsafeRawPointer(base), stride)
  }
}

extension InferenceSession {
  /// Tokens of a batch that share one pass over a weight row before the next row is read.
  static let tokenTile = 32
  /// Tokens per call of a block kernel (the float types): it widens each weight once per call,
  /// so longer tiles spread that over more tokens (measured on TinyLlama F16: 32 → 128 tokens,
  /// prompt processing 1.12× faster; 256 and more slower again).
  static let blockTokenTile = 128

  /// One batch at positions `position…`; logits of the tokens in `logitRows` land in
  /// `buffers.logits`, row after row.
  func forward(_ tokens: [Int], logitRows: Range<Int>?) throws {
    let config = model.config
    let b = buffers
    let count = tokens.count
    let dim = config.hiddenSize, ffn = config.intermediateSize, headDim = config.headDim
    let qDim = config.numAttentionHeads * headDim, kvDim = config.numKeyValueHeads * headDim
    let start = position

    for (t, token) in tokens.enumerated() { try model.embed(token, into: b.x + t * dim) }
    for t in 0..<count {
      VectorOps.ropeTable(position: start + t, headDim: headDim, theta: config.ropeTheta, into: b.rope + t * headDim)
    }

    for (index, layer) in model.layers.enumerated() {
      // Attention block: x += Wo · attention(rope(Wq·n), rope(Wk·n), Wv·n), n = RMSNorm(x).
      let attentionInput = normalize(b.x, layer.attentionNorm, count, for: [layer.q, layer.k, layer.v])
      // Q, K and V rows as one range, handed out in chunks.
      pool.chunks(qDim + 2 * kvDim, size: chunkRows(layer.q, count)) { range in
        for (matrix, out, offset) in [(layer.q, b.q, 0), (layer.k, b.k, qDim), (layer.v, b.v, qDim + kvDim)] {
          let lower = max(range.lowerBound - offset, 0), upper = min(range.upperBound - offset, matrix.rows)
          if lower < upper { multiply(matrix, rows: lower..<upper, attentionInput, count, out, matrix.rows) }
        }
      }
      pool.parallelRanges(count) { range in
        for t in range {
          VectorOps.rope(b.q + t * qDim, heads: config.numAttentionHeads, headDim: headDim, table: b.rope + t * headDim)
          VectorOps.rope(b.k + t * kvDim, heads: config.numKeyValueHeads, headDim: headDim, table: b.rope + t * headDim)
          for h in 0..<config.numKeyValueHeads {
            let slot = cacheSlot(layer: index, kvHead: h, position: start + t)
            (b.keys + slot).update(from: b.k + t * kvDim + h * headDim, count: headDim)
            (b.values + slot).update(from: b.v + t * kvDim + h * headDim, count: headDim)
          }
        }
      }
      attend(layer: index, tokens: count, start: start)
      let attentionOutput = prepare(b.attention, stride: qDim, count, for: [layer.attentionOutput])
      pool.chunks(dim, size: chunkRows(layer.attentionOutput, count)) { rows in
        multiply(layer.attentionOutput, rows: rows, attentionOutput, count, b.projected, dim)
        for t in 0..<count { addRows(b.x + t * dim, b.projected + t * dim, rows) }
      }

      // Feed-forward block: x += W_down · (silu(W_gate·n) ⊙ (W_up·n)), n = RMSNorm(x).
      let ffnInput = normalize(b.x, layer.ffnNorm, count, for: [layer.gate, layer.up])
      pool.chunks(ffn, size: chunkRows(layer.gate, count)) { rows in
        multiply(layer.gate, rows: rows, ffnInput, count, b.gate, ffn)
        multiply(layer.up, rows: rows, ffnInput, count, b.up, ffn)
        for t in 0..<count {
          VectorOps.swiGLU(b.gate + t * ffn + rows.lowerBound, b.up + t * ffn + rows.lowerBound, rows.count)
        }
      }
      let downInput = prepare(b.gate, stride: ffn, count, for: [layer.down])
      pool.chunks(dim, size: chunkRows(layer.down, count)) { rows in
        multiply(layer.down, rows: rows, downInput, count, b.projected, dim)
        for t in 0..<count { addRows(b.x + t * dim, b.projected + t * dim, rows) }
      }
    }

    guard let logitRows else { return }
    // Only the rows whose logits are wanted go through the output head.
    let first = b.x + logitRows.lowerBound * dim
    let outputInput = normalize(first, model.outputNorm, logitRows.count, for: [model.output])
    let vocab = config.vocabSize
    pool.chunks(vocab, size: chunkRows(model.output, logitRows.count)) { rows in
      multiply(model.output, rows: rows, outputInput, logitRows.count, b.logits, vocab)
    }
  }

  /// Rows per work chunk. One token: one contiguous share per thread (measured: shorter chunks
  /// cost memory bandwidth, the prefetchers restart at every jump). Batches: whole row blocks of
  /// the blocked product, handed out dynamically (a thread another process slows does less), in
  /// multiples of 12 rows so that the float block kernels' 6-row and 4-row tiles cover them.
  func chunkRows(_ matrix: WeightMatrix, _ count: Int) -> Int {
    count == 1 ? (matrix.rows + threadCount - 1) / threadCount : max(12, (128 << 10) / matrix.rowBytes / 12 * 12)
  }

  /// RMSNorm of `count` rows of `x` into `buffers.normed`, prepared for `matrices`.
  func normalize(_ x: UnsafeMutablePointer<Float>, _ weight: [Float], _ count: Int, for matrices: [WeightMatrix]) -> PreparedInput {
    let dim = model.config.hiddenSize, eps = model.config.rmsNormEps
    let normed = buffers.normed
    weight.withUnsafeBufferPointer { w in
      pool.parallelRanges(count) { range in
        for t in range { VectorOps.rmsNorm(x + t * dim, w.baseAddress!, dim, eps: eps, into: normed + t * dim) }
      }
    }
    return prepare(normed, stride: dim, count, for: matrices)
  }

  /// Quantizes `count` rows of `rows` (`stride` floats apart, `stride` columns) for every
  /// 8-bit format `matrices` need.
  func prepare(_ rows: UnsafeMutablePointer<Float>, stride: Int, _ count: Int, for matrices: [WeightMatrix]) -> PreparedInput {
    var quantized: [ActivationFormat: (UnsafeMutableRawPointer, Int)] = [:]
    for matrix in matrices {
      guard let format = matrix.kernel.activation, quantized[format] == nil else { continue }
      quantized[format] = (buffers.quantized[format]!, buffers.quantizedRowBytes[format]!)
    }
    let reference = referenceKernels
    if !quantized.isEmpty {
      let formats = Array(quantized)
      pool.parallelRanges(count) { range in
        for (format, (base, rowBytes)) in formats {
          let quantize = ActivationQuantizer.function(format, reference: reference)
          for t in range { quantize(rows + t * stride, stride, base + t * rowBytes) }
        }
      }
    }
    return PreparedInput(floats: rows, floatStride: stride, quantized: quantized)
  }

  /// `out[t · outStride + r] = matrix[r] · input[t]` for r in `rows`, t in 0..<count. Two-level
  /// blocking for batches: a block of rows (about 128 KB of weights) stays in L2 while tiles of
  /// tokens small enough for L1 (about 24 KB of activations) pass over it, so weights come from
  /// memory once per batch and activations from L1 for every row.
  func multiply(
    _ matrix: WeightMatrix, rows: Range<Int>, _ input: PreparedInput, _ count: Int,
    _ out: UnsafeMutablePointer<Float>, _ outStride: Int
  ) {
    guard !rows.isEmpty else { return }
    let kernel = referenceKernels ? matrix.kernel.reference : matrix.kernel.simd
    let (base, stride) = input.rows(for: matrix.kernel)
    if count == 1 {
      for r in rows { kernel(matrix.row(r), base, stride, 1, matrix.columns, out + r, outStride) }
      return
    }
    let rowBlock = max(12, (128 << 10) / matrix.rowBytes / 12 * 12)
    let tokenTile = matrix.kernel.block != nil ? Self.blockTokenTile : max(4, min(Self.tokenTile, (24 << 10) / stride / 4 * 4))
    var r0 = rows.lowerBound
    while r0 < rows.upperBound {
      let r1 = min(rows.upperBound, r0 + rowBlock)
      var t0 = 0
      while t0 < count {
        let tile = min(tokenTile, count - t0)
        if let block = referenceKernels ? nil : matrix.kernel.block {
          block(matrix.row(r0), matrix.rowBytes, r1 - r0, base + t0 * stride, stride, tile, matrix.columns, out + t0 * outStride + r0, outStride)
        } else {
          for r in r0..<r1 {
            kernel(matrix.row(r), base + t0 * stride, stride, tile, matrix.columns, out + t0 * outStride + r, outStride)
          }
        }
        t0 += tile
      }
      r0 = r1
    }
  }

  @inline(__always)
  func addRows(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, _ rows: Range<Int>) {
    guard !rows.isEmpty else { return }
    VectorOps.addScaled(x + rows.lowerBound, y + rows.lowerBound, 1, rows.count)
  }

  /// Offset of one cached head vector: [layer][kvHead][position][headDim].
  @inline(__always)
  func cacheSlot(layer: Int, kvHead: Int, position: Int) -> Int {
    let config = model.config
    return ((layer * config.numKeyValueHeads + kvHead) * contextLength + position) * config.headDim
  }
}
