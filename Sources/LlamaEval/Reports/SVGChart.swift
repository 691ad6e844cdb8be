/// Inline SVG charts for the HTML report: grouped bars with error bars, lines, and histograms.
/// Plain SVG elements only (no scripts, no fonts or images from elsewhere), sized by a viewBox
/// so that they scale with the page.
enum SVGChart {
  /// Colours of the result sets, in order (Tableau 10; distinct for the common colour-vision
  /// deficiencies in the first six).
  static let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]

  static func colour(_ index: Int) -> String { palette[index % palette.count] }

  struct Series {
    var label: String
    var values: [Double?]
    var errors: [Double?] = []
  }

  static let fullWidth = 760.0, compactWidth = 380.0
  static let plotHeight = 240.0
  static let left = 70.0, right = 20.0, top = 44.0

  /// A grouped bar chart: one group per category, one bar per series, ± the error.
  static func bars(title: String, categories: [String], series: [Series], axis: String, compact: Bool = false) -> String {
    let tops = series.flatMap { s in s.values.indices.compactMap { i in s.values[i].map { $0 + (i < s.errors.count ? s.errors[i] ?? 0 : 0) } } }
    let bottoms = series.flatMap { $0.values.compactMap { $0 } }
    let low = min(0, bottoms.min() ?? 0), high = max(tops.max() ?? 1, low + 1e-12)
    let scale = Scale(low: low, high: high, logarithmic: false)
    let longest = categories.map(\.count).max() ?? 0
    let rotate = categories.count > 6 || longest * 7 > Int(((compact ? compactWidth : fullWidth) - left - right) / Double(max(categories.count, 1)))
    let bottom = rotate ? min(170, 30 + Double(longest) * 5.6) : 40
    var svg = Canvas(title: title, bottom: bottom, series: series.map(\.label), compact: compact)
    svg.axes(scale, axis: axis)
    let slot = svg.plotWidth / Double(max(categories.count, 1))
    let barWidth = min(48, slot * 0.8 / Double(max(series.count, 1)))
    let zero = svg.y(scale, 0)
    for (c, category) in categories.enumerated() {
      let groupLeft = left + slot * Double(c) + (slot - barWidth * Double(series.count)) / 2
      for (s, item) in series.enumerated() {
        guard c < item.values.count, let value = item.values[c] else { continue }
        let x = groupLeft + barWidth * Double(s)
        let y = svg.y(scale, value)
        let error = c < item.errors.count ? item.errors[c] : nil
        let tip = "\(item.label): \(category) = \(DecimalText.short(value))" + (error.map { " ± \(DecimalText.short($0))" } ?? "")
        svg.body += #"<rect class="bar" x="\#(f(x))" y="\#(f(min(y, zero)))" width="\#(f(barWidth * 0.92))" height="\#(f(max(abs(zero - y), 0.5)))" fill="\#(colour(s))"><title>\#(HTMLText.escape(tip))</title></rect>"#
        if let error, error > 0 {
          let cx = x + barWidth * 0.46
          let y0 = svg.y(scale, scale.clamped(value - error)), y1 = svg.y(scale, scale.clamped(value + error))
          svg.body += #"<path d="M\#(f(cx)) \#(f(y0))V\#(f(y1))M\#(f(cx - 4)) \#(f(y0))h8M\#(f(cx - 4)) \#(f(y1))h8" stroke="rgb(34,34,34)" stroke-width="1.2" fill="none"/>"#
        }
      }
      let labelX = left + slot * (Double(c) + 0.5), labelY = top + plotHeight + 14
      if rotate {
        svg.body += #"<text x="\#(f(labelX))" y="\#(f(labelY))" text-anchor="end" transform="rotate(-40 \#(f(labelX)) \#(f(labelY)))">\#(HTMLText.escape(category))</text>"#
      } else {
        svg.body += #"<text x="\#(f(labelX))" y="\#(f(labelY + 4))" text-anchor="middle">\#(HTMLText.escape(category))</text>"#
      }
    }
    return svg.finish()
  }

  /// Lines over 1…n (chunks), one per series; `logarithmic` for values spanning decades.
  static func lines(title: String, series: [Series], xAxis: String, axis: String, logarithmic: Bool = false) -> String {
    let values = series.flatMap { $0.values.compactMap { $0 } }.filter { $0.isFinite && (!logarithmic || $0 > 0) }
    let low = values.min() ?? 0, high = values.max() ?? 1
    let scale = Scale(low: logarithmic ? low : min(low, high - abs(high) * 1e-3 - 1e-12), high: high, logarithmic: logarithmic)
    var svg = Canvas(title: title, bottom: 48, series: series.map(\.label))
    svg.axes(scale, axis: axis)
    let count = series.map(\.values.count).max() ?? 1
    let xScale = Scale(low: 1, high: Double(max(count, 2)), logarithmic: false)
    for tick in xScale.ticks where tick == tick.rounded() {
      let x = svg.x(xScale, tick)
      svg.body += #"<text x="\#(f(x))" y="\#(f(top + plotHeight + 16))" text-anchor="middle">\#(DecimalText.short(tick))</text>"#
    }
    svg.body += #"<text x="\#(f(left + svg.plotWidth / 2))" y="\#(f(top + plotHeight + 36))" text-anchor="middle" class="axis">\#(HTMLText.escape(xAxis))</text>"#
    for (s, item) in series.enumerated() {
      var path = ""
      for (i, value) in item.values.enumerated() {
        guard let value, value.isFinite, !logarithmic || value > 0 else { continue }
        path += (path.isEmpty ? "M" : "L") + "\(f(svg.x(xScale, Double(i + 1)))) \(f(svg.y(scale, value)))"
      }
      svg.body += #"<path class="line" d="\#(path)" stroke="\#(colour(s))" stroke-width="2" fill="none"><title>\#(HTMLText.escape(item.label))</title></path>"#
      if item.values.count <= 60 {
        for (i, value) in item.values.enumerated() {
          guard let value, value.isFinite, !logarithmic || value > 0 else { continue }
          svg.body += #"<circle cx="\#(f(svg.x(xScale, Double(i + 1))))" cy="\#(f(svg.y(scale, value)))" r="2.5" fill="\#(colour(s))"><title>\#(i + 1): \#(DecimalText.short(value))</title></circle>"#
        }
      }
    }
    return svg.finish()
  }

  /// Counts per bin (bin i spans edges[i]…edges[i + 1], labelled by `edgeLabels`), one series
  /// per run, side by side within a bin.
  static func histogram(title: String, edgeLabels: [String], series: [Series], axis: String, xAxis: String) -> String {
    let bins = max(edgeLabels.count - 1, 1)
    let high = max(series.flatMap { $0.values.compactMap { $0 } }.max() ?? 1, 1e-12)
    let scale = Scale(low: 0, high: high, logarithmic: false)
    var svg = Canvas(title: title, bottom: 48, series: series.map(\.label))
    svg.axes(scale, axis: axis)
    let slot = svg.plotWidth / Double(bins)
    let barWidth = slot / Double(max(series.count, 1))
    for (s, item) in series.enumerated() {
      for (b, value) in item.values.enumerated() {
        guard let value, value > 0 else { continue }
        let x = left + slot * Double(b) + barWidth * Double(s)
        let y = svg.y(scale, value)
        let tip = "\(item.label): \(edgeLabels[b])…\(edgeLabels[min(b + 1, edgeLabels.count - 1)]): \(DecimalText.short(value))"
        svg.body += #"<rect class="bar" x="\#(f(x))" y="\#(f(y))" width="\#(f(max(barWidth - 0.6, 0.5)))" height="\#(f(svg.y(scale, 0) - y))" fill="\#(colour(s))"><title>\#(HTMLText.escape(tip))</title></rect>"#
      }
    }
    let every = max(1, edgeLabels.count / 12)
    for (i, label) in edgeLabels.enumerated() where i % every == 0 {
      let x = left + slot * Double(i)
      svg.body += #"<text x="\#(f(x))" y="\#(f(top + plotHeight + 16))" text-anchor="middle">\#(HTMLText.escape(label))</text>"#
    }
    svg.body += #"<text x="\#(f(left + svg.plotWidth / 2))" y="\#(f(top + plotHeight + 36))" text-anchor="middle" class="axis">\#(HTMLText.escape(xAxis))</text>"#
    return svg.finish()
  }

  /// A value axis: linear or base-10 logarithmic, extended to round tick values.
  struct Scale {
    var low: Double, high: Double
    var logarithmic: Bool
    var ticks: [Double] = []
    /// Decimals that tell the ticks apart.
    var decimals = 0

    init(low: Double, high: Double, logarithmic: Bool) {
      self.logarithmic = logarithmic
      if logarithmic {
        let a = (log10(max(low, 1e-300))).rounded(.down), b = max((log10(max(high, 1e-300))).rounded(.up), a + 1)
        self.low = a
        self.high = b
        let step = max(1, ((b - a) / 6).rounded(.up))
        ticks = stride(from: a, through: b, by: step).map { $0 }
        return
      }
      let span = high > low ? high - low : max(abs(high), 1)
      let raw = span / 5
      let power = pow10((log10(raw)).rounded(.down))
      let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= raw } ?? 10 * power
      self.low = (low / step).rounded(.down) * step
      self.high = max((high / step).rounded(.up) * step, self.low + step)
      ticks = stride(from: self.low, through: self.high + step * 1e-9, by: step).map { $0 }
      decimals = max(0, Int(-(log10(step) + 1e-9).rounded(.down)))
    }

    /// 0…1 along the axis.
    func position(_ value: Double) -> Double {
      let v = logarithmic ? log10(max(value, 1e-300)) : value
      return (v - low) / (high - low)
    }

    func label(_ tick: Double) -> String {
      if logarithmic { return DecimalText.short(pow10(tick), significant: 2) }
      let largest = max(abs(low), abs(high))
      return largest >= 1e7 || (largest < 1e-3 && largest > 0) ? DecimalText.short(tick, significant: 3) : DecimalText.fixed(tick, decimals)
    }

    /// `value` kept within the axis (error bars that reach below zero or past the top).
    func clamped(_ value: Double) -> Double {
      logarithmic ? value : min(max(value, low), high)
    }
  }

  /// One chart being drawn: frame, title, legend, then the body.
  struct Canvas {
    var body = ""
    let height: Double
    let width: Double
    var plotWidth: Double { width - left - right }
    private let head: String

    init(title: String, bottom: Double, series: [String], compact: Bool = false) {
      height = top + plotHeight + bottom
      width = compact ? compactWidth : fullWidth
      let style = compact ? #" class="compact""# : ""
      var head = #"<svg xmlns="http://www.w3.org/2000/svg"\#(style) viewBox="0 0 \#(f(width)) \#(f(height))" role="img" aria-label="\#(HTMLText.escape(title))">"#
      head += #"<text x="\#(f(left))" y="18" class="title">\#(HTMLText.escape(title))</text>"#
      var x = left
      if series.count > 1 || !(series.first ?? "").isEmpty {
        for (i, label) in series.enumerated() {
          head += #"<rect x="\#(f(x))" y="27" width="10" height="10" fill="\#(colour(i))"/><text x="\#(f(x + 14))" y="36">\#(HTMLText.escape(label))</text>"#
          x += 26 + Double(label.count) * 6.4
        }
      }
      self.head = head
    }

    func x(_ scale: Scale, _ value: Double) -> Double { left + plotWidth * scale.position(value) }
    func y(_ scale: Scale, _ value: Double) -> Double { top + plotHeight * (1 - scale.position(value)) }

    mutating func axes(_ scale: Scale, axis: String) {
      for tick in scale.ticks {
        let y = self.y(scale, scale.logarithmic ? pow10(tick) : tick)
        body += #"<path d="M\#(f(left)) \#(f(y))H\#(f(width - right))" stroke="rgb(227,227,227)"/><text x="\#(f(left - 6))" y="\#(f(y + 4))" text-anchor="end">\#(scale.label(tick))</text>"#
      }
      body += #"<path d="M\#(f(left)) \#(f(top))V\#(f(top + plotHeight))H\#(f(width - right))" stroke="rgb(85,85,85)" fill="none"/>"#
      body += #"<text x="16" y="\#(f(top + plotHeight / 2))" text-anchor="middle" class="axis" transform="rotate(-90 16 \#(f(top + plotHeight / 2)))">\#(HTMLText.escape(axis))</text>"#
    }

    func finish() -> String { head + body + "</svg>" }
  }

  /// A coordinate with two decimals.
  static func f(_ x: Double) -> String { DecimalText.fixed(x, 2) }
}

/// 10^x, exact for whole x (tick steps must be exact for whole-number ticks).
func pow10(_ x: Double) -> Double { pow(10, x) }

#if canImport(Glibc)
  import Glibc
#endif
