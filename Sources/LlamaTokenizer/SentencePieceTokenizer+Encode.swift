extension SentencePieceTokenizer {
  public func encode(_ text: String) -> [TokenID] {
    var text = text
    return text.withUTF8 { encode(utf8: $0) }
  }

  /// Encodes valid UTF-8.
  public func encode(utf8 input: UnsafeBufferPointer<UInt8>) -> [TokenID] {
    var normalized: [UInt8] = []
    normalizer.normalize(input, into: &normalized)
    var output: [TokenID] = []
    output.reserveCapacity(normalized.count / 3 + 4)
    var merger = BPEMerger()
    var cache = normalized.count >= SpanCache.minimumTextSize ? SpanCache() : nil
    normalized.withUnsafeBufferPointer { text in
      forEachSpan(text) { from, to in
        encodeSpan(text, from: from, to: to, merger: &merger, cache: &cache, output: &output)
      }
    }
    return output
  }

  /// Calls `body` with consecutive spans of `text` that no merge can cross (see
  /// `splitsAtWords` and `isolatedASCII`); the whole text when nothing is known to be safe.
  @inline(__always)
  func forEachSpan(_ text: UnsafeBufferPointer<UInt8>, _ body: (Int, Int) -> Void) {
    let n = text.count
    guard n > 0 else { return }
    var spanStart = 0
    var i = 0
    let words = splitsAtWords
    while i < n {
      let byte = text[i]
      if byte < 0x80 {
        if isolatedASCII[Int(byte)] {
          if i > spanStart { body(spanStart, i) }
          body(i, i + 1)
          spanStart = i + 1
        }
        i += 1
      } else if words && byte == 0xE2 && i + 2 < n && text[i + 1] == 0x96 && text[i + 2] == 0x81 {
        let afterSpace = i >= 3 && text[i - 3] == 0xE2 && text[i - 2] == 0x96 && text[i - 1] == 0x81
        if !afterSpace && i > spanStart {
          body(spanStart, i)
          spanStart = i
        }
        i += 3
      } else {
        i += 1
      }
    }
    if spanStart < n { body(spanStart, n) }
  }

  func encodeSpan(
    _ text: UnsafeBufferPointer<UInt8>, from: Int, to: Int, merger: inout BPEMerger,
    cache: inout SpanCache?, output: inout [TokenID]
  ) {
    let key = UnsafeBufferPointer(rebasing: text[from..<to])
    let cacheable = cache != nil && key.count <= SpanCache.maximumKeySize
    if cacheable, let ids = cache!.lookup(key) {
      for id in ids { append(id, to: &output) }
      return
    }
    if !cacheable {
      encodeSymbols(text, from: from, to: to, merger: &merger, output: &output)
      return
    }
    // The span's own ids (with runs of <unk> inside it merged), cached before they are joined
    // to what precedes them.
    var spanIDs: [TokenID] = []
    encodeSymbols(text, from: from, to: to, merger: &merger, output: &spanIDs)
    cache!.insert(key, ids: spanIDs[...])
    for id in spanIDs { append(id, to: &output) }
  }

  private func encodeSymbols(
    _ text: UnsafeBufferPointer<UInt8>, from: Int, to: Int, merger: inout BPEMerger,
    output: inout [TokenID]
  ) {
    if to - from == 1 {
      emit(text, from, 1, merger: merger, output: &output)
      return
    }
    merger.merge(text, from: from, to: to, tokenizer: self)
    var index: Int32 = 0
    while index >= 0 {
      let i = Int(index)
      emit(text, Int(merger.start[i]), Int(merger.length[i]), merger: merger, output: &output)
      index = merger.next[i]
    }
  }

  /// Appends the ids of one final symbol (sentencepiece's resegment + PopulateSentencePieceText).
  func emit(
    _ text: UnsafeBufferPointer<UInt8>, _ from: Int, _ length: Int, merger: BPEMerger,
    output: inout [TokenID]
  ) {
    let base = text.baseAddress! + from
    var id: TokenID = -1
    if !reservedBySpelling.isEmpty {
      id = reservedBySpelling[Array(UnsafeBufferPointer(start: base, count: length))] ?? -1
    }
    if id < 0 { id = mergeable.find(base, length) }
    if id >= 0 {
      switch types[Int(id)] {
      case .normal, .userDefined, .control, .byte:
        append(id, to: &output)
        return
      case .unused:
        if let leftLength = merger.reverseMerges[id], leftLength > 0, Int(leftLength) < length {
          emit(text, from, Int(leftLength), merger: merger, output: &output)
          emit(text, from + Int(leftLength), length - Int(leftLength), merger: merger, output: &output)
          return
        }
      case .unknown:
        break
      }
    }
    // Unknown symbol: its UTF-8 bytes as byte pieces, or one <unk> per run of unknowns.
    if vocabulary.trainer.byteFallback {
      for k in 0..<length { output.append(byteIDs[Int(base[k])]) }
    } else {
      append(unknownID, to: &output)
    }
  }

  @inline(__always)
  func append(_ id: TokenID, to output: inout [TokenID]) {
    // sentencepiece merges a run of unknown pieces into one <unk>.
    if id == unknownID, output.last == unknownID { return }
    output.append(id)
  }
}
