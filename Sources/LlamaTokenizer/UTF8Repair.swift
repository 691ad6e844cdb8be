/// Appends `bytes` as UTF-8 to `output`, replacing every byte that does not start a valid,
/// complete sequence by U+FFFD and moving on by one byte — how sentencepiece decodes runs of
/// byte pieces (`IsValidDecodeUTF8`). Truncated sequences give one U+FFFD per byte, unlike
/// Swift's `String(decoding:)`, which gives one per maximal invalid subpart.
func appendRepairingUTF8(_ bytes: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
  var i = 0
  let n = bytes.count
  while i < n {
    let length = validSequenceLength(bytes, at: i)
    if length == 0 {
      output.append(contentsOf: replacementCharacter)
      i += 1
    } else {
      output.append(contentsOf: bytes[i..<(i + length)])
      i += length
    }
  }
}

let replacementCharacter: [UInt8] = [0xEF, 0xBF, 0xBD]

/// Length of the well-formed UTF-8 sequence at `i` (no overlongs, no surrogates, at most
/// U+10FFFF, complete), or 0.
@inline(__always)
func validSequenceLength(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
  let n = b.count - i
  let c0 = b[i]
  if c0 < 0x80 { return 1 }
  @inline(__always) func cont(_ k: Int) -> Bool { k < n && b[i + k] & 0xC0 == 0x80 }
  switch c0 {
  case 0xC2...0xDF:
    return cont(1) ? 2 : 0
  case 0xE0...0xEF:
    guard cont(1), cont(2) else { return 0 }
    let c1 = b[i + 1]
    if c0 == 0xE0 && c1 < 0xA0 { return 0 }  // overlong
    if c0 == 0xED && c1 >= 0xA0 { return 0 }  // surrogate
    return 3
  case 0xF0...0xF4:
    guard cont(1), cont(2), cont(3) else { return 0 }
    let c1 = b[i + 1]
    if c0 == 0xF0 && c1 < 0x90 { return 0 }  // overlong
    if c0 == 0xF4 && c1 >= 0x90 { return 0 }  // above U+10FFFF
    return 4
  default:
    return 0
  }
}

/// Offset of the first byte that is not part of well-formed UTF-8, or nil when all of it is.
public func firstInvalidUTF8Offset(_ bytes: UnsafeRawBufferPointer) -> Int? {
  bytes.withMemoryRebound(to: UInt8.self) { b in
    var i = 0
    while i < b.count {
      if b[i] < 0x80 {
        i += 1
        continue
      }
      let length = validSequenceLength(b, at: i)
      if length == 0 { return i }
      i += length
    }
    return nil
  }
}
