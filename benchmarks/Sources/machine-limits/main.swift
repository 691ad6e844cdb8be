// The machine's limits for LLM inference, measured: memory read bandwidth (what bounds
// generation: every weight is read once per token) and the FP32 FMA and int8 dot-product peaks
// (what bounds prompt processing). Prints one JSON object.
//
// Usage: machine-limits [--threads N] [--megabytes M]
import Foundation
import LlamaKernels
import MachineLimitsAVX512
import _Builtin_intrinsics.intel

func now() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_MONOTONIC, &t)
  return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

nonisolated(unsafe) let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String) -> Int? {
  guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
  return Int(arguments[i + 1])
}
nonisolated(unsafe) let threads = option("--threads") ?? 2
let megabytes = option("--megabytes") ?? 1024
let cpu = CPUFeatures.current

// Memory read bandwidth: each thread sums its share of a buffer much larger than the caches.
nonisolated(unsafe) let bytes = megabytes << 20
// Huge pages, as LlamaKit's re-laid-out weights use (2 MiB-aligned, MADV_HUGEPAGE).
nonisolated(unsafe) let buffer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 2 << 20)
_ = madvise(buffer, bytes, MADV_HUGEPAGE)
memset(buffer, 1, bytes)
nonisolated(unsafe) let pool = WorkerPool(threads: threads)
nonisolated(unsafe) var sink: Float = 0
func readPass() -> Double {
  let start = now()
  pool.run { index in
    let range = WorkerPool.share(bytes / 256, of: threads, index: index)
    var a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0
    for i in range {
      let p = buffer + 256 * i
      a0 = _mm256_add_ps(a0, p.load(as: __m256.self)); a1 = _mm256_add_ps(a1, p.load(fromByteOffset: 32, as: __m256.self))
      a2 = _mm256_add_ps(a2, p.load(fromByteOffset: 64, as: __m256.self)); a3 = _mm256_add_ps(a3, p.load(fromByteOffset: 96, as: __m256.self))
      a0 = _mm256_add_ps(a0, p.load(fromByteOffset: 128, as: __m256.self)); a1 = _mm256_add_ps(a1, p.load(fromByteOffset: 160, as: __m256.self))
      a2 = _mm256_add_ps(a2, p.load(fromByteOffset: 192, as: __m256.self)); a3 = _mm256_add_ps(a3, p.load(fromByteOffset: 224, as: __m256.self))
    }
    let s = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3))
    if index == 0 { sink += s[0] }
  }
  return Double(bytes) / (now() - start)
}
_ = readPass()
// The best of nine passes: a limit, on a host whose other tenants come and go.
let bandwidth = (0..<9).map { _ in readPass() }.max()!

// FMA peak, 256-bit (AVX2 + FMA), one core: 12 independent chains.
func fma256(_ iterations: Int) -> Float {
  var a = [SIMD8<Float>](repeating: SIMD8(repeating: 1), count: 12)
  let x = SIMD8<Float>(repeating: 0.999_999), y = SIMD8<Float>(repeating: 1e-7)
  return a.withUnsafeMutableBufferPointer { acc in
    var a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], a4 = acc[4], a5 = acc[5]
    var a6 = acc[6], a7 = acc[7], a8 = acc[8], a9 = acc[9], a10 = acc[10], a11 = acc[11]
    for _ in 0..<iterations {
      a0 = _mm256_fmadd_ps(a0, x, y); a1 = _mm256_fmadd_ps(a1, x, y); a2 = _mm256_fmadd_ps(a2, x, y)
      a3 = _mm256_fmadd_ps(a3, x, y); a4 = _mm256_fmadd_ps(a4, x, y); a5 = _mm256_fmadd_ps(a5, x, y)
      a6 = _mm256_fmadd_ps(a6, x, y); a7 = _mm256_fmadd_ps(a7, x, y); a8 = _mm256_fmadd_ps(a8, x, y)
      a9 = _mm256_fmadd_ps(a9, x, y); a10 = _mm256_fmadd_ps(a10, x, y); a11 = _mm256_fmadd_ps(a11, x, y)
    }
    return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11).sum()
  }
}

// int8 peak, 256-bit vpmaddubsw + vpmaddwd (the AVX2 int8 dot product: 32 MACs per pair).
func maddubs256(_ iterations: Int) -> Int32 {
  var a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0
  let x = _mm256_set1_epi8(3), y = _mm256_set1_epi8(-2), ones = _mm256_set1_epi16(1)
  for _ in 0..<iterations {
    a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_maddubs_epi16(x, y), ones))
    a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_maddubs_epi16(x, a0), ones))
    a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(_mm256_maddubs_epi16(x, a1), ones))
    a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(_mm256_maddubs_epi16(x, a2), ones))
    a4 = _mm256_add_epi32(a4, _mm256_madd_epi16(_mm256_maddubs_epi16(x, a3), ones))
    a5 = _mm256_add_epi32(a5, _mm256_madd_epi16(_mm256_maddubs_epi16(x, a4), ones))
  }
  return AVX2Sum.sum(_mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(_mm256_add_epi32(a2, a3), _mm256_add_epi32(a4, a5))))
}
enum AVX2Sum {
  static func sum(_ v: __m256i) -> Int32 { unsafeBitCast(v, to: SIMD8<Int32>.self).wrappedSum() }
}

func rate(_ operationsPerIteration: Double, _ body: (Int) -> Void) -> Double {
  let iterations = 50_000_000
  body(iterations / 10)
  var best = 0.0
  for _ in 0..<3 {
    let start = now()
    body(iterations)
    best = max(best, operationsPerIteration * Double(iterations) / (now() - start))
  }
  return best
}

let fma256Rate = rate(12 * 8 * 2) { sink += fma256($0) }
let int8Rate256 = rate(6 * 32) { sink += Float(maddubs256($0)) }
var result: [String: Any] = [
  "threads": threads,
  "cpu_features": cpu.used + (cpu.avx512f ? ["AVX512F"] : []) + (cpu.avx512vnni ? ["AVX512_VNNI"] : []),
  "read_bandwidth_bytes_per_s": bandwidth,
  "fp32_flops_per_s_per_core_avx2": fma256Rate,
  "int8_macs_per_s_per_core_avx2_maddubs": int8Rate256,
]
if cpu.avx512f && cpu.avx512vnni {
  result["fp32_flops_per_s_per_core_avx512"] = rate(12 * 16 * 2) { sink += fma512(iterations: $0) }
  result["int8_macs_per_s_per_core_avx512_vnni"] = rate(8 * 64) { sink += Float(dpbusd512(iterations: $0)) }
}
let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
print(String(decoding: data, as: UTF8.self))
if sink == 12345 { print("") }
