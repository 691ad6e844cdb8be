#if canImport(Glibc)
  import Glibc
#endif

/// A one-line progress report on stderr, redrawn at most ten times a second, only when stderr
/// is a terminal and not `--quiet`; with `--verbose`, `detail` lines too (on any stderr).
final class Progress {
  let label: String
  private let enabled: Bool
  private let verbose: Bool
  private var lastDraw = 0.0
  private var start = Progress.now()
  private var drawn = false

  init(label: String, quiet: Bool = false, verbose: Bool = false) {
    self.label = label
    self.enabled = !quiet && isatty(2) != 0
    self.verbose = verbose
  }

  /// Whether the progress line is drawn (stderr a terminal, not --quiet).
  var isDrawing: Bool { enabled }

  static func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
  }

  /// Bytes done out of total; `items` adds a count ("12/201 tensors").
  func update(_ done: Int, _ total: Int, items: (done: Int, total: Int, name: String)? = nil) {
    guard enabled, let t = due(done == total) else { return }
    let elapsed = max(t - start, 1e-9)
    let rate = Double(done) / elapsed
    let percent = total > 0 ? 100 * Double(done) / Double(total) : 100
    let counted = items.map { "\($0.done)/\($0.total) \($0.name), " } ?? ""
    draw("\(Int(percent))% \(counted)\(megabytes(done))/\(megabytes(total)) MB, \(Int(rate / 1e6)) MB/s, ETA \(Self.duration(rate > 0 ? Double(total - done) / rate : 0))")
  }

  /// Items done out of total ("12/30 chunks, 3.2 chunks/s, ETA 5 s"), after `prefix`.
  func update(_ done: Int, of total: Int, unit: String, prefix: String = "") {
    guard enabled, let t = due(done == total) else { return }
    let rate = Double(done) / max(t - start, 1e-9)
    let tenths = Int((rate * 10).rounded())
    draw("\(prefix)\(done)/\(total) \(unit), \(tenths / 10).\(tenths % 10) \(unit)/s, ETA \(Self.duration(rate > 0 ? Double(total - done) / rate : 0))")
  }

  /// Measures the rate (and so the ETA) from now: the next part of the job starts.
  func restart() {
    start = Self.now()
    lastDraw = 0
  }

  /// A line of per-step detail, with `--verbose` only; the progress line is redrawn after it.
  func detail(_ text: @autoclosure () -> String) {
    guard verbose else { return }
    note("\(label): \(text())")
  }

  /// A line on stderr (a warning) that does not share a line with the progress line.
  func note(_ line: String) {
    StandardError.write((drawn ? "\r\u{1B}[K" : "") + line + "\n")
    // The line is cleared: the next update draws it again, and finish() owes no newline.
    drawn = false
    lastDraw = 0
  }

  func finish() {
    if drawn { StandardError.write("\n") }
    drawn = false
  }

  /// The time now if a redraw is due (a tenth of a second after the last, or at the end).
  private func due(_ last: Bool) -> Double? {
    let t = Self.now()
    guard t - lastDraw >= 0.1 || last else { return nil }
    lastDraw = t
    return t
  }

  private func draw(_ text: String) {
    StandardError.write("\r\u{1B}[K\(label): \(text)")
    drawn = true
  }

  /// "42 s", "3 min 05 s", "2 h 07 min".
  static func duration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    if s < 60 { return "\(s) s" }
    if s < 3600 { return "\(s / 60) min \(s % 60 < 10 ? "0" : "")\(s % 60) s" }
    return "\(s / 3600) h \(s % 3600 / 60 < 10 ? "0" : "")\(s % 3600 / 60) min"
  }

  private func megabytes(_ n: Int) -> String { String(n / 1_000_000) }
}
