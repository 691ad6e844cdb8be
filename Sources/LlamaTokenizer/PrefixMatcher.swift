/// Longest-prefix matching against a fixed set of strings (sentencepiece's `PrefixMatcher`,
/// used for USER_DEFINED pieces): a byte trie with a first-byte filter, so positions that
/// cannot start a match cost one table lookup.
struct PrefixMatcher: Sendable {
  /// Child of (node << 8 | byte).
  private var children: [Int: Int32] = [:]
  /// Whether a node ends a string: `[nodes]`.
  private var terminal: [Bool] = [false]
  /// Whether some string starts with a byte: `[256]`.
  private var startsWith = [Bool](repeating: false, count: 256)

  var isEmpty: Bool { terminal.count == 1 }

  init(_ strings: [String]) {
    for string in strings where !string.isEmpty {
      var node = 0
      for byte in string.utf8 {
        let key = node << 8 | Int(byte)
        if let child = children[key] {
          node = Int(child)
        } else {
          let child = terminal.count
          terminal.append(false)
          children[key] = Int32(child)
          node = child
        }
      }
      terminal[node] = true
      startsWith[Int(string.utf8.first!)] = true
    }
  }

  /// Length of the longest string that is a prefix of `text[start..<end]`, or 0.
  @inline(__always)
  func longestMatch(_ text: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int {
    guard start < end, startsWith[Int(text[start])] else { return 0 }
    var node = 0
    var best = 0
    var i = start
    while i < end, let child = children[node << 8 | Int(text[i])] {
      node = Int(child)
      i += 1
      if terminal[node] { best = i - start }
    }
    return best
  }
}

/// Length in bytes of the UTF-8 sequence that starts with `lead`, as sentencepiece's
/// `OneCharLen` computes it from the lead byte alone.
@inline(__always)
func utf8SequenceLength(_ lead: UInt8) -> Int {
  if lead < 0xC0 { return 1 }
  if lead < 0xE0 { return 2 }
  if lead < 0xF0 { return 3 }
  return 4
}
