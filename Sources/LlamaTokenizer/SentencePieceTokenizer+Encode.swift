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

  /// The hot path. One pass over the text finds the initial symbols (characters with their
  /// ids, or USER_DEFINED pieces) and cuts the text wherever two neighbouring characters are
  /// adjacent in no piece; each span is then merged by `IdMerger` (or found in the span cache)
  /// and its ids written straight into the result. A text of n bytes never has more than n
  /// tokens (every piece and every byte fallback covers at least one byte), so the result is
  /// allocated once.
  private func encodeByIDs(_ text: UnsafeBufferPointer<UInt8>, _ tables: IdMergeTables) -> [TokenID] {
    let merger = IdMerger()
    let cache = text.count >= SpanCache.minimumTextSize ? SpanCache() : nil
    let base = text.baseAddress!
    let n = text.count
    let checkUserDefined = !userDefined.isEmpty
    return [TokenID](unsafeUninitializedCapacity: n) { buffer, initialized in
      var out = TokenWriter(buffer.baseAddress!, unknownID: unknownID)
      var previousID: Int32 = -1
      var previousByte: UInt8 = 0x80
      var i = 0
      while i < n {
        let lead = text[i]
        var length = 0
        if checkUserDefined { length = userDefined.longestMatch(text, from: i, to: n) }
        if length > 0 {
          // A USER_DEFINED piece: one frozen symbol. Cut before it unless its first character
          // joins the previous one.
          let first = min(utf8SequenceLength(lead), n - i)
          let firstID = tables.characterID(text, i, first)
          if merger.count > 0 && !tables.joins(previousID, firstID) {
            flushSpan(text, end: i, merger, tables, cache, &out)
          }
          merger.add(id: mergeable.find(base + i, length), start: i, length: length, frozen: true)
          var last = i + length - 1
          while last > i && text[last] & 0xC0 == 0x80 { last -= 1 }
          previousID = tables.characterID(text, last, i + length - last)
          previousByte = text[last]
        } else {
          length = lead < 0x80 ? 1 : min(utf8SequenceLength(lead), n - i)
          let id = tables.characterID(text, i, length)
          if merger.count > 0 {
            let joined = lead < 0x80 && previousByte < 0x80
              ? tables.asciiAdjacent[Int(previousByte) &* 128 &+ Int(lead)]
              : tables.joins(previousID, id)
            if !joined { flushSpan(text, end: i, merger, tables, cache, &out) }
          }
          merger.add(id: id, start: i, length: length, frozen: false)
          previousID = id
          previousByte = lead
        }
        i += length
      }
      if merger.count > 0 { flushSpan(text, end: n, merger, tables, cache, &out) }
      assert(out.count <= n)
      initialized = out.count
    }
  }

  /// Merges (or looks up in the cache) the span of the symbols added so far, which ends at
  /// `end`, writes its ids and starts a new span.
  @inline(__always)
  private func flushSpan(
    _ text: UnsafeBufferPointer<UInt8>, end: Int, _ merger: IdMerger, _ tables: IdMergeTables,
    _ cache: SpanCache?, _ out: inout TokenWriter
  ) {
    let base = text.baseAddress!
    let from = Int(merger.starts[0])
    let length = end - from
    let mark = out.count
    if merger.count == 1 {
      emitSymbol(merger.ids[0], text, from, length, spanStart: mark, &out)
    } else if let cache, length >= SpanCache.minimumKeySize, length <= SpanCache.maximumKeySize {
      let hash = SpanCache.hash(base + from, length)
      if let (start, count) = cache.lookup(base + from, length, hash: hash) {
        out.append(cache.ids + start, count)
      } else {
        emitMerged(text, merger, tables, &out)
        cache.insert(base + from, length, hash: hash, ids: out.written(from: mark))
      }
    } else {
      emitMerged(text, merger, tables, &out)
    }
    out.joinSpan(at: mark)
    merger.beginSpan()
  }

  /// Merges the current span and writes its ids (runs of `<unk>` inside it merged).
  @inline(__always)
  private func emitMerged(
    _ text: UnsafeBufferPointer<UInt8>, _ merger: IdMerger, _ tables: IdMergeTables,
    _ out: inout TokenWriter
  ) {
    merger.mergeSpan(tables)
    let spanStart = out.count
    var index: Int32 = 0
    while index >= 0 {
      let i = Int(index)
      emitSymbol(merger.ids[i], text, Int(merger.starts[i]), Int(merger.lengths[i]), spanStart: spanStart, &out)
      index = merger.next[i]
    }
  }

  /// Writes the ids of one final symbol: its own id when it is a NORMAL or USER_DEFINED piece,
  /// otherwise (not a piece, a synthetic id at or above the vocabulary size, a one-character
  /// UNUSED piece) its bytes as byte pieces, or `<unk>`.
  @inline(__always)
  private func emitSymbol(
    _ id: Int32, _ text: UnsafeBufferPointer<UInt8>, _ start: Int, _ length: Int, spanStart: Int,
    _ out: inout TokenWriter
  ) {
    if id >= 0 && Int(id) < types.count && (types[Int(id)] == .normal || types[Int(id)] == .userDefined) {
      out.append(id)
    } else if byteFallback {
      for k in start..<(start + length) { out.append(byteIDs[Int(text[k])]) }
    } else {
      out.appendUnknown(spanStart: spanStart)
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
