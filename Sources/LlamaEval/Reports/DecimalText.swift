/// Numbers as text for reports and terminal output.
public enum DecimalText {
  /// `value` with `digits` decimals, as printf's `%.Nf` prints it (llama-perplexity's output).
  public static func fixed(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = String(Int64(rounded))
    let fraction = Int64(((abs(rounded) - Double(Int64(abs(rounded)))) * scale).rounded())
    if rounded < 0 && Int64(rounded) == 0 { text = "-0" }
    let digitsText = String(fraction)
    return text + "." + String(repeating: "0", count: max(0, digits - digitsText.count)) + digitsText
  }

  /// `value` with about `significant` significant digits: fixed-point for magnitudes from 1e-4 to
  /// 1e7, otherwise mantissa and exponent ("3.21e-07").
  public static func short(_ value: Double, significant: Int = 4) -> String {
    guard value.isFinite else { return value.isNaN ? "n/a" : (value < 0 ? "−∞" : "∞") }
    if value == 0 { return "0" }
    let magnitude = abs(value)
    if magnitude >= 1e-4 && magnitude < 1e7 {
      var exponent = 0
      var m = magnitude
      while m >= 10 { m /= 10; exponent += 1 }
      while m < 1 { m *= 10; exponent -= 1 }
      return fixed(value, max(0, significant - 1 - exponent))
    }
    var exponent = 0
    var m = magnitude
    while m >= 10 { m /= 10; exponent += 1 }
    while m < 1 { m *= 10; exponent -= 1 }
    let mantissa = fixed(value < 0 ? -m : m, significant - 1)
    if mantissa.hasPrefix("10.") || mantissa.hasPrefix("-10.") { return short(value * 1.000001, significant: significant) }
    return mantissa + "e" + (exponent < 0 ? "-" : "+") + (abs(exponent) < 10 ? "0" : "") + String(abs(exponent))
  }
}
