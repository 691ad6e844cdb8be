extension SentencePieceTokenizer {
  /// sentencepiece's `Decode(ids)`: runs of byte pieces are decoded as UTF-8 with one U+FFFD per
  /// invalid byte, CONTROL pieces print nothing, `<unk>` prints `unk_surface`, `▁` becomes a
  /// space, and one leading `▁` is dropped at the start (every leading one when
  /// remove_extra_whitespaces is on; none when the model has neither flag).
  public func decode(_ ids: [TokenID]) throws -> String {
    try checkRange(ids)
    let spec = vocabulary.normalizer
    let removeExtra = spec.removeExtraWhitespaces
    let eatsLeadingSpace = spec.addDummyPrefix || removeExtra
    var output: [UInt8] = []
    var pendingBytes: [UInt8] = []
    var atStart = true

    func flushBytes() {
      guard !pendingBytes.isEmpty else { return }
      pendingBytes.withUnsafeBufferPointer { appendRepairingUTF8($0, to: &output) }
      pendingBytes.removeAll(keepingCapacity: true)
    }

    for rawID in ids {
      // sentencepiece decodes through the piece text, so a piece spelled like a reserved piece
      // decodes as that one.
      let id = Int(decodeAliases[rawID] ?? rawID)
      switch types[id] {
      case .byte:
        pendingBytes.append(byteValues[id])
        atStart = false
      case .control:
        flushBytes()
      case .unknown:
        flushBytes()
        let surface = vocabulary.trainer.unkSurface
        output.append(contentsOf: surface.utf8)
        atStart = removeExtra && surface.isEmpty
      case .normal, .userDefined, .unused:
        flushBytes()
        var piece = Substring(vocabulary.pieces[id]).utf8[...]
        if atStart && eatsLeadingSpace && piece.starts(with: SentencePieceNormalizer.spaceSymbol) {
          piece = piece.dropFirst(3)
        }
        let before = output.count
        appendReplacingSpaceSymbol(piece, to: &output)
        atStart = removeExtra && output.count == before
      }
    }
    flushBytes()
    if let denormalizer = vocabulary.denormalizer {
      output = try applyDenormalizer(denormalizer, to: output)
    }
    return String(decoding: output, as: UTF8.self)
  }

  private func appendReplacingSpaceSymbol(_ piece: Substring.UTF8View.SubSequence, to output: inout [UInt8]) {
    var i = piece.startIndex
    while i != piece.endIndex {
      let byte = piece[i]
      if byte == 0xE2 {
        let j = piece.index(after: i)
        if j != piece.endIndex, piece[j] == 0x96 {
          let k = piece.index(after: j)
          if k != piece.endIndex, piece[k] == 0x81 {
            output.append(0x20)
            i = piece.index(after: k)
            continue
          }
        }
      }
      output.append(byte)
      i = piece.index(after: i)
    }
  }

  /// sentencepiece runs decoded text through a second normalizer when the model has a
  /// `denormalizer_spec` (none of the common LLaMA-family models do).
  private func applyDenormalizer(_ spec: NormalizerSpec, to text: [UInt8]) throws -> [UInt8] {
    let normalizer = try SentencePieceNormalizer(
      spec: spec, treatWhitespaceAsSuffix: false, userDefined: PrefixMatcher([]),
      origin: vocabulary.origin)
    return text.withUnsafeBufferPointer { normalizer.normalize($0) }
  }
}
