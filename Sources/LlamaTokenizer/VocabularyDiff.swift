/// Differences between two vocabularies, by piece text: pieces only in one of them, and pieces
/// in both with another id, score or type.
public struct VocabularyDiff: Sendable {
  public struct Changed: Sendable {
    public var piece: String
    public var idA: TokenID
    public var idB: TokenID
    public var scoreA: Float?
    public var scoreB: Float?
    public var typeA: PieceType
    public var typeB: PieceType
  }

  /// (id, piece) in A only, in A's id order.
  public var onlyInA: [(id: TokenID, piece: String)] = []
  /// (id, piece) in B only, in B's id order.
  public var onlyInB: [(id: TokenID, piece: String)] = []
  /// Same text, another id (and possibly another score or type), in A's id order.
  public var movedPieces: [Changed] = []
  /// Same text and id, another score or type.
  public var changedPieces: [Changed] = []

  public var identical: Bool {
    onlyInA.isEmpty && onlyInB.isEmpty && movedPieces.isEmpty && changedPieces.isEmpty
  }

  public init(_ a: Vocabulary, _ b: Vocabulary) {
    // Text → id; the first id wins when a text repeats (a CONTROL and a NORMAL piece).
    // Keyed by bytes: canonically equivalent pieces are different pieces.
    func index(_ v: Vocabulary) -> [[UInt8]: Int] {
      var result: [[UInt8]: Int] = [:]
      result.reserveCapacity(v.count)
      for (id, piece) in v.pieces.enumerated() where result[Array(piece.utf8)] == nil {
        result[Array(piece.utf8)] = id
      }
      return result
    }
    let indexA = index(a)
    let indexB = index(b)
    for (id, piece) in a.pieces.enumerated() where indexA[Array(piece.utf8)] == id {
      guard let other = indexB[Array(piece.utf8)] else {
        onlyInA.append((TokenID(id), piece))
        continue
      }
      let change = Changed(
        piece: piece, idA: TokenID(id), idB: TokenID(other), scoreA: a.score(id),
        scoreB: b.score(other), typeA: a.types[id], typeB: b.types[other])
      let sameScore = Self.same(change.scoreA, change.scoreB)
      if other != id {
        movedPieces.append(change)
      } else if !sameScore || change.typeA != change.typeB {
        changedPieces.append(change)
      }
    }
    for (id, piece) in b.pieces.enumerated()
    where indexB[Array(piece.utf8)] == id && indexA[Array(piece.utf8)] == nil {
      onlyInB.append((TokenID(id), piece))
    }
  }

  /// Scores are compared only when both sides have them; -0.0 equals 0.0 (as in sentencepiece's
  /// merge order), NaN equals an identical NaN.
  static func same(_ a: Float?, _ b: Float?) -> Bool {
    guard let a, let b else { return true }
    return a == b || a.bitPattern == b.bitPattern
  }
}
