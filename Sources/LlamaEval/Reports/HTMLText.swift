/// Text placed in HTML or SVG: the five characters with a meaning there are escaped.
enum HTMLText {
  static func escape(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.utf8.count)
    for c in text.unicodeScalars {
      switch c {
      case "&": result += "&amp;"
      case "<": result += "&lt;"
      case ">": result += "&gt;"
      case "\"": result += "&quot;"
      case "'": result += "&#39;"
      default:
        // Controls other than tab and newline are not allowed in an HTML document.
        if c.value < 0x20 && c != "\t" && c != "\n" || (0x7F...0x9F).contains(c.value) {
          result += "\u{FFFD}"
        } else {
          result.unicodeScalars.append(c)
        }
      }
    }
    return result
  }
}
