import Foundation
import Testing

@testable import LlamaKernels

@Suite("vector operations")
struct VectorOpsTests {
  @Test("exp8 is within 2 ulp of e^x and 0 below the f32 range")
  func exp() {
    var worst = 0.0
    var x: Float = -87
    while x < 88 {
      let v = SIMD8<Float>((0..<8).map { x + Float($0) * 0.0137 })
      let e = VectorOps.exp8(v)
      for j in 0..<8 {
        let exact = Foundation.exp(Double(v[j]))
        let ulp = Double(Float(exact).ulp)
        worst = max(worst, abs(Double(e[j]) - exact) / ulp)
      }
      x += 0.1
    }
    #expect(worst <= 2, "worst error \(worst) ulp")
    #expect(VectorOps.exp8(SIMD8(repeating: -.infinity)) == SIMD8(repeating: 0))
    #expect(VectorOps.exp8(SIMD8(repeating: 0)) == SIMD8(repeating: 1))
  }

  @Test("RMSNorm, softmax and SwiGLU match double-precision formulas")
  func rowOperations() {
    var rng = SplitMix64(seed: 3)
    let n = 77
    let x = (0..<n).map { _ in rng.float() * 4 }
    let w = (0..<n).map { _ in rng.float() }
    var out = [Float](repeating: 0, count: n)
    VectorOps.rmsNorm(x, w, n, eps: 1e-5, into: &out)
    let rms = (x.map { Double($0) * Double($0) }.reduce(0, +) / Double(n) + 1e-5).squareRoot()
    for i in 0..<n { #expect(abs(Double(out[i]) - Double(x[i]) / rms * Double(w[i])) <= 1e-6) }

    var s = x
    s[3] = -.infinity
    VectorOps.softmax(&s, n)
    let m = x.max()!
    let total = x.enumerated().map { $0.offset == 3 ? 0 : Foundation.exp(Double($0.element - m)) }.reduce(0, +)
    for i in 0..<n where i != 3 { #expect(abs(Double(s[i]) - Foundation.exp(Double(x[i] - m)) / total) <= 1e-7) }
    #expect(s[3] == 0)

    var gate = x
    VectorOps.swiGLU(&gate, w, n)
    for i in 0..<n {
      let g = Double(x[i])
      #expect(abs(Double(gate[i]) - g / (1 + Foundation.exp(-g)) * Double(w[i])) <= 1e-6)
    }
  }

  @Test("RoPE rotates interleaved pairs by position · theta^(−2i/d)")
  func rope() {
    let headDim = 8, heads = 2
    var table = [Float](repeating: 0, count: headDim)
    VectorOps.ropeTable(position: 5, headDim: headDim, theta: 10000, into: &table)
    var x = (0..<(headDim * heads)).map { Float($0) + 1 }
    let original = x
    VectorOps.rope(&x, heads: heads, headDim: headDim, table: table)
    for h in 0..<heads {
      for i in 0..<(headDim / 2) {
        let angle = 5 * Foundation.pow(10000.0, -2 * Double(i) / Double(headDim))
        let x0 = Double(original[h * headDim + 2 * i]), x1 = Double(original[h * headDim + 2 * i + 1])
        #expect(abs(Double(x[h * headDim + 2 * i]) - (x0 * cos(angle) - x1 * sin(angle))) <= 1e-5)
        #expect(abs(Double(x[h * headDim + 2 * i + 1]) - (x0 * sin(angle) + x1 * cos(angle))) <= 1e-5)
      }
    }
  }

  @Test("the worker pool runs every index once and splits ranges evenly")
  func pool() {
    let pool = WorkerPool(threads: 3)
    for _ in 0..<200 {
      let counts = UnsafeMutablePointer<Int>.allocate(capacity: 3)
      counts.initialize(repeating: 0, count: 3)
      pool.run { counts[$0] += 1 }
      #expect((0..<3).map { counts[$0] } == [1, 1, 1])
      counts.deallocate()
    }
    #expect(WorkerPool.share(10, of: 3, index: 0) == 0..<4)
    #expect(WorkerPool.share(10, of: 3, index: 2) == 7..<10)
    let seen = UnsafeMutablePointer<Int>.allocate(capacity: 100)
    seen.initialize(repeating: 0, count: 100)
    pool.parallelRanges(100, granularity: 16) { range in
      #expect(range.lowerBound % 16 == 0)
      for i in range { seen[i] += 1 }
    }
    #expect((0..<100).allSatisfy { seen[$0] == 1 })
    seen.deallocate()
  }
}
