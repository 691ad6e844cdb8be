extension SentencePieceTokenizer {
  public func encode(_ text: String) -> [TokenID] {
    var text = text
    return text.withUTF8 { encode(utf8: $0) }
  }

  /// Encodes valid UTF-8.
  public func encode(utf8 input: UnsafeBufferPointer<UInt8>) -> [TokenID] {
    let normalized = normalizer.normalize(input)
    guard !normalized.isEmpty else { return [] }
    return normalized.withUnsafeBufferPointer { text in
      if let idTables { return encodeByIDs(text, idTables) }
      return encodeByBytes(text)
    }
  }

  /// Calls `body` with consecutive spans of `text` that no merge can cross (the whole text
  /// when the vocabulary does not allow cutting it).
  @inline(__always)
  func forEachSpan(_ text: UnsafeBufferPointer<UInt8>, _ body: (Int, Int) -> Void) {
    if let spanBoundaries {
      spanBoundaries.forEachSpan(text, body)
    } else {
      body(0, text.count)
    }
  }

  // MARK: merging by ids (every vocabulary without multi-character UNUSED pieces)

  /// The hot path: spans are merged by `IdMerger` (or found in the span cache) and their ids
  /// written straight into the result. A text of n bytes never has more than n tokens (every
  /// piece and every byte fallback covers at least one byte), so the result is allocated once.
  private func encodeByIDs(_ text: UnsafeBufferPointer<UInt8>, _ tables: IdMergeTables) -> [TokenID] {
    let merger = IdMerger()
    let cache = text.count >= SpanCache.minimumTextSize ? SpanCache() : nil
    let base = text.baseAddress!
    return [TokenID](unsafeUninitializedCapacity: text.count) { buffer, initialized in
      var out = TokenWriter(buffer.baseAddress!, unknownID: unknownID)
      forEachSpan(text) { from, to in
        let length = to - from
        let mark = out.count
        guard let cache, length <= SpanCache.maximumKeySize else {
          mergeSpan(text, from, to, merger, tables, &out)
          out.joinSpan(at: mark)
          return
        }
        let hash = SpanCache.hash(base + from, length)
        if let (start, count) = cache.lookup(base + from, length, hash: hash) {
          out.append(cache.ids + start, count)
        } else {
          mergeSpan(text, from, to, merger, tables, &out)
          cache.insert(base + from, length, hash: hash, ids: out.written(from: mark))
        }
        out.joinSpan(at: mark)
      }
      assert(out.count <= text.count)
      initialized = out.count
    }
  }

  /// Merges one span and writes its ids (runs of `<unk>` inside it merged).
  @inline(__always)
  private func mergeSpan(
    _ text: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, _ merger: IdMerger,
    _ tables: IdMergeTables, _ out: inout TokenWriter
  ) {
    merger.merge(text, from: from, to: to, tables: tables, tokenizer: self)
    let spanStart = out.count
    let count = types.count
    var index: Int32 = 0
    while index >= 0 {
      let i = Int(index)
      let id = merger.ids[i]
      // Ids at or above the vocabulary size are characters with only a synthetic id.
      if id >= 0 && Int(id) < count && (types[Int(id)] == .normal || types[Int(id)] == .userDefined) {
        out.append(id)
      } else if byteFallback {
        let start = Int(merger.starts[i])
        for k in start..<(start + Int(merger.lengths[i])) { out.append(byteIDs[Int(text[k])]) }
      } else {
        out.appendUnknown(spanStart: spanStart)
      }
      index = merger.next[i]
    }
  }

  // MARK: merging by byte strings (exact for any vocabulary)

  /// sentencepiece's algorithm literally: candidates found by looking up the concatenated bytes,
  /// final symbols mapped to ids as `PieceToId` does (reserved pieces first), UNUSED pieces
  /// resegmented through the reverse merges recorded for the whole text.
  func encodeByBytes(_ text: UnsafeBufferPointer<UInt8>) -> [TokenID] {
    var output: [TokenID] = []
    output.reserveCapacity(text.count)
    var merger = BPEMerger()
    forEachSpan(text) { from, to in
      merger.merge(text, from: from, to: to, tokenizer: self)
      var index: Int32 = 0
      while index >= 0 {
        let i = Int(index)
        emit(text, Int(merger.start[i]), Int(merger.length[i]), merger: merger, output: &output)
        index = merger.next[i]
      }
    }
    return output
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
        output.append(id)
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
    // Unknown symbol: its UTF-8 bytes as byte pieces, or one <unk> per run of unknowns (the
    // check on the last id also joins runs across spans).
    if byteFallback {
      for k in 0..<length { output.append(byteIDs[Int(base[k])]) }
    } else if output.last != unknownID {
      output.append(unknownID)
    }
  }
}

/// Token ids written into preallocated storage.
struct TokenWriter {
  let base: UnsafeMutablePointer<TokenID>
  let unknownID: TokenID
  private(set) var count = 0

  init(_ base: UnsafeMutablePointer<TokenID>, unknownID: TokenID) {
    self.base = base
    self.unknownID = unknownID
  }

  @inline(__always)
  mutating func append(_ id: TokenID) {
    base[count] = id
    count &+= 1
  }

  @inline(__always)
  mutating func append(_ ids: UnsafePointer<TokenID>, _ n: Int) {
    (base + count).update(from: ids, count: n)
    count &+= n
  }

  /// `<unk>`, unless the span already ends with one (sentencepiece merges runs of unknowns).
  @inline(__always)
  mutating func appendUnknown(spanStart: Int) {
    if count > spanStart && base[count - 1] == unknownID { return }
    append(unknownID)
  }

  /// Joins a span written from `mark`: a leading `<unk>` after a trailing one is dropped.
  @inline(__always)
  mutating func joinSpan(at mark: Int) {
    guard mark > 0, count > mark, base[mark] == unknownID, base[mark - 1] == unknownID else { return }
    (base + mark).update(from: base + mark + 1, count: count - mark - 1)
    count -= 1
  }

  func written(from mark: Int) -> UnsafeBufferPointer<TokenID> {
    UnsafeBufferPointer(start: base + mark, count: count - mark)
  }
}
