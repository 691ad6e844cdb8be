import LlamaCore
import LlamaFormats
import LlamaIO

/// The zip container of a `torch.save` checkpoint (formats.md §5.1). The central directory is
/// read from the mapped file (ZIP64 included) to find each member's data: torch stores members
/// uncompressed, 64-byte aligned, so tensors are views of the mapping. libarchive reports no
/// usable member offsets, so it is only used to inflate members other tools compressed, within
/// a size limit. Member names must be relative paths without ".." (nothing is extracted, but a
/// hostile name is refused rather than carried along).
final class TorchZip: @unchecked Sendable {
  struct Member {
    var name: String
    var method: UInt16
    var compressedSize: Int
    var size: Int
    var headerOffset: Int
    /// Where the data starts, from the local header (filled in when the zip is opened).
    var dataOffset = 0
  }

  /// Compressed members larger than this are refused (zip bombs).
  static let maximumInflatedSize = 1 << 31
  /// Compression methods libarchive inflates: deflate, bzip2, lzma, zstd, xz.
  static let inflatable: Set<UInt16> = [8, 12, 14, 93, 95]

  let path: String
  let file: MappedFile
  let members: [String: Member]
  /// The folder every member sits in ("archive/", "consolidated.00/", …).
  let prefix: String

  init(path: String) throws {
    self.path = path
    file = try MappedFile(path: path)
    var members = try file.withUnsafeBytes { try Self.centralDirectory($0, path: path) }
    // Members must not overlap (overlapping members are how zip bombs multiply one compressed
    // stream): in local-header order, each starts after the previous one's data.
    var previous: (end: Int, name: String) = (0, "")
    for i in members.indices.sorted(by: { members[$0].headerOffset < members[$1].headerOffset }) {
      guard members[i].headerOffset >= previous.end else {
        throw FormatError.malformed(path: path, detail: "zip members \(previous.name) and \(members[i].name) overlap")
      }
      members[i].dataOffset = try file.withUnsafeBytes { try Self.dataOffset(members[i], in: $0, path: path) }
      previous = (members[i].dataOffset + members[i].compressedSize, members[i].name)
    }
    guard let first = members.first, let slash = first.name.firstIndex(of: "/") else {
      throw FormatError.malformed(path: path, detail: "zip holds no torch archive folder")
    }
    prefix = String(first.name[...slash])
    var byName: [String: Member] = [:]
    for member in members {
      guard byName.updateValue(member, forKey: member.name) == nil else {
        throw FormatError.malformed(path: path, detail: "zip member \(member.name) appears twice")
      }
    }
    self.members = byName
  }

  func member(_ name: String) -> Member? { members[prefix + name] }

  /// Reads the end of central directory record (or its ZIP64 form) and every central header.
  static func centralDirectory(_ bytes: UnsafeRawBufferPointer, path: String) throws -> [Member] {
    func fail(_ detail: String) -> FormatError { .malformed(path: path, detail: "zip: \(detail)") }
    var r = ByteReader(bytes, source: path)
    // The EOCD record (22 bytes + a comment of up to 65535) is at the end.
    var eocd = -1
    var position = bytes.count - 22
    let lowest = max(0, bytes.count - 22 - 65535)
    while position >= lowest {
      if bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self).littleEndian == 0x0605_4B50 {
        eocd = position
        break
      }
      position -= 1
    }
    guard eocd >= 0 else { throw fail("no end of central directory record") }
    try r.seek(to: eocd + 10)
    var count = Int(try r.u16("entry count"))
    var directorySize = Int(try r.u32("central directory size"))
    var directoryOffset = Int(try r.u32("central directory offset"))
    if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
      // ZIP64: the locator sits just before the EOCD record.
      guard eocd >= 20 else { throw fail("ZIP64 locator missing") }
      try r.seek(to: eocd - 20)
      guard try r.u32("ZIP64 locator signature") == 0x0706_4B50 else { throw fail("ZIP64 locator missing") }
      try r.skip(4)
      let record = try r.u64("ZIP64 record offset")
      guard record <= UInt64(bytes.count) else { throw fail("ZIP64 record offset \(record) is outside the file") }
      try r.seek(to: Int(record))
      guard try r.u32("ZIP64 record signature") == 0x0606_4B50 else { throw fail("bad ZIP64 end of central directory record") }
      try r.skip(8 + 2 + 2 + 4 + 4 + 8)
      let total = try r.u64("ZIP64 entry count")
      let size = try r.u64("ZIP64 directory size")
      let offset = try r.u64("ZIP64 directory offset")
      guard total <= UInt64(bytes.count), size <= UInt64(bytes.count), offset <= UInt64(bytes.count) else {
        throw fail("ZIP64 directory values exceed the file")
      }
      (count, directorySize, directoryOffset) = (Int(total), Int(size), Int(offset))
    }
    guard directoryOffset <= bytes.count, directorySize <= bytes.count - directoryOffset else {
      throw fail("central directory (\(directorySize) bytes at \(directoryOffset)) runs past the end of the file")
    }
    guard count <= directorySize / 46 else { throw fail("\(count) entries cannot fit in a \(directorySize)-byte directory") }
    try r.seek(to: directoryOffset)
    var members: [Member] = []
    members.reserveCapacity(count)
    for _ in 0..<count {
      guard try r.u32("central header signature") == 0x0201_4B50 else {
        throw fail("bad central header at byte \(r.offset - 4)")
      }
      try r.skip(6)
      let method = try r.u16("method")
      try r.skip(8)
      var compressed = UInt64(try r.u32("compressed size"))
      var size = UInt64(try r.u32("size"))
      let nameLength = Int(try r.u16("name length"))
      let extraLength = Int(try r.u16("extra length"))
      let commentLength = Int(try r.u16("comment length"))
      try r.skip(8)
      var offset = UInt64(try r.u32("local header offset"))
      let name = try r.string(nameLength, "member name")
      var extra = ByteReader(try r.bytes(extraLength, "extra field"), source: path)
      try r.skip(commentLength, "comment")
      // The ZIP64 extra field holds the values whose 32-bit fields are all ones, in order.
      while extra.remaining >= 4 {
        let id = try extra.u16()
        let length = Int(try extra.u16())
        var field = ByteReader(try extra.bytes(length, "extra field \(id)"), source: path)
        guard id == 0x0001 else { continue }
        if size == 0xFFFF_FFFF { size = try field.u64("ZIP64 size") }
        if compressed == 0xFFFF_FFFF { compressed = try field.u64("ZIP64 compressed size") }
        if offset == 0xFFFF_FFFF { offset = try field.u64("ZIP64 offset") }
      }
      guard size <= UInt64(Int.max), compressed <= UInt64(bytes.count), offset <= UInt64(bytes.count) else {
        throw fail("member \(name) has sizes or an offset outside the file")
      }
      guard !name.hasPrefix("/"), !name.split(separator: "/").contains(".."), !name.contains("\\") else {
        throw fail("member name \(name) leaves the archive folder")
      }
      members.append(Member(name: name, method: method, compressedSize: Int(compressed), size: Int(size), headerOffset: Int(offset)))
    }
    return members
  }

  /// The absolute data offset of a member, from its local header (whose name and extra lengths
  /// can differ from the central directory's: torch pads the local extra field so that data
  /// starts on a 64-byte boundary).
  static func dataOffset(_ member: Member, in bytes: UnsafeRawBufferPointer, path: String) throws -> Int {
    do {
      var r = ByteReader(bytes, source: path)
      try r.seek(to: member.headerOffset, "local header of \(member.name)")
      guard try r.u32("local header signature") == 0x0403_4B50 else {
        throw FormatError.malformed(path: path, detail: "zip member \(member.name): no local header at offset \(member.headerOffset)")
      }
      try r.skip(22)
      let nameLength = Int(try r.u16("name length"))
      let extraLength = Int(try r.u16("extra length"))
      let start = member.headerOffset + 30 + nameLength + extraLength
      guard start <= bytes.count, member.compressedSize <= bytes.count - start else {
        throw FormatError.malformed(path: path, detail: "zip member \(member.name): \(member.compressedSize) bytes at offset \(start) run past the end of the file")
      }
      return start
    }
  }

  /// The bytes of a member: a view of the mapping when stored, else inflated by libarchive.
  func contents(_ name: String) throws -> (UnsafeRawBufferPointer, owner: AnyObject) {
    guard let member = member(name) else {
      throw FormatError.malformed(path: path, detail: "zip member \(prefix + name) is missing")
    }
    func fail(_ detail: String) -> FormatError { .malformed(path: path, detail: "zip member \(member.name): \(detail)") }
    let start = member.dataOffset
    if member.method == 0 {
      guard member.compressedSize == member.size else { throw fail("stored member with two different sizes") }
      let bytes = file.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[start..<(start + member.size)]) }
      return (bytes, file)
    }
    guard Self.inflatable.contains(member.method) else {
      throw fail("compression method \(member.method) is not supported (stored, deflate, bzip2, lzma, zstd and xz are)")
    }
    guard member.size <= Self.maximumInflatedSize else {
      throw fail("compressed member declares \(member.size) bytes, more than \(Self.maximumInflatedSize)")
    }
    let reader = try ArchiveReader(path: path)
    while let entry = try reader.next() {
      if entry.name == member.name {
        let data = try reader.readData(limit: member.size)
        guard data.count == member.size else { throw fail("inflates to \(data.count) bytes, declared \(member.size)") }
        let owned = OwnedBytes(data)
        return (owned.buffer, owned)
      }
    }
    throw fail("not found by libarchive")
  }
}
