#if canImport(Glibc)
  import Glibc
#endif

/// A one-line progress report on stderr, redrawn at most ten times a second, only when stderr
/// is a terminal.
final class Progress {
  let label: String
  private let enabled = isatty(2) != 0
  private var lastDraw = 0.0
  private let start = Progress.now()
  private var drawn = false

  init(label: String) { self.label = label }

  static func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
  }

  /// Bytes (or items) done out of total; `items` adds a count ("12/201 tensors").
  func update(_ done: Int, _ total: Int, items: (done: Int, total: Int, name: String)? = nil) {
    guard enabled else { return }
    let t = Self.now()
    guard t - lastDraw >= 0.1 || done == total else { return }
    lastDraw = t
    let elapsed = max(t - start, 1e-9)
    let rate = Double(done) / elapsed
    let eta = rate > 0 ? Double(total - done) / rate : 0
    let percent = total > 0 ? 100 * Double(done) / Double(total) : 100
    let counted = items.map { "\($0.done)/\($0.total) \($0.name), " } ?? ""
    let line = "\(label): \(Int(percent))% \(counted)\(megabytes(done))/\(megabytes(total)) MB, \(Int(rate / 1e6)) MB/s, ETA \(Int(eta)) s"
    StandardError.write("\r\u{1B}[K" + line)
    drawn = true
  }

  /// Items done out of total ("12/30 chunks, 3.2 chunks/s, ETA 5 s").
  func update(_ done: Int, of total: Int, unit: String) {
    guard enabled else { return }
    let t = Self.now()
    guard t - lastDraw >= 0.1 || done == total else { return }
    lastDraw = t
    let rate = Double(done) / max(t - start, 1e-9)
    let eta = rate > 0 ? Double(total - done) / rate : 0
    let tenths = Int((rate * 10).rounded())
    StandardError.write("\r\u{1B}[K\(label): \(done)/\(total) \(unit), \(tenths / 10).\(tenths % 10) \(unit)/s, ETA \(Int(eta)) s")
    drawn = true
  }

  func finish() {
    if drawn { StandardError.write("\n") }
  }

  private func megabytes(_ n: Int) -> String { String(n / 1_000_000) }
}
