import Foundation
import LlamaIO
import Testing

/// Little-endian byte writers for building checkpoint files in tests (valid ones and every
/// kind of corrupt one), like llama.cpp's tests/test-gguf.cpp.
struct Bytes {
  var data: [UInt8] = []
  mutating func u8(_ v: UInt8) { data.append(v) }
  mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { data += $0 } }
  mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data += $0 } }
  mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { data += $0 } }
  mutating func i32(_ v: Int32) { u32(UInt32(bitPattern: v)) }
  mutating func f32(_ v: Float) { u32(v.bitPattern) }
  mutating func string(_ s: String) {
    u64(UInt64(s.utf8.count))
    data += s.utf8
  }
  mutating func pad(to alignment: Int) { while data.count % alignment != 0 { data.append(0) } }
}

/// A GGUF file description that tests can break in any field.
struct GGUFBuilder {
  enum Value {
    case u32(UInt32), i32(Int32), f32(Float), string(String), bool(UInt8), u64(UInt64)
    case stringArray([String]), f32Array([Float]), i32Array([Int32])
    /// Any raw encoding: type id and the bytes after it.
    case raw(UInt32, [UInt8])
  }
  struct TensorEntry {
    var name: String
    var ne: [UInt64]
    var type: UInt32
    var offset: UInt64?
    var data: [UInt8]
  }

  var magic: [UInt8] = Array("GGUF".utf8)
  var version: UInt32 = 3
  var tensorCount: UInt64?
  var kvCount: UInt64?
  var metadata: [(String, Value)] = []
  var tensors: [TensorEntry] = []
  var alignment = 32

  /// A minimal valid LLaMA model: 1 layer, hidden 8, 2 heads of 4, 1 key/value head.
  static func tinyModel() -> GGUFBuilder {
    var b = GGUFBuilder()
    b.metadata = [
      ("general.architecture", .string("llama")), ("llama.context_length", .u32(64)),
      ("llama.embedding_length", .u32(8)), ("llama.block_count", .u32(1)), ("llama.feed_forward_length", .u32(16)),
      ("llama.attention.head_count", .u32(2)), ("llama.attention.head_count_kv", .u32(1)),
      ("llama.attention.layer_norm_rms_epsilon", .f32(1e-5)), ("llama.rope.freq_base", .f32(10000)),
    ]
    let values = (0..<32).map { Float($0) / 8 }
    var data = Bytes()
    for v in values { data.f32(v) }
    b.tensors = [
      TensorEntry(name: "token_embd.weight", ne: [8, 4], type: 0, offset: nil, data: data.data),
      TensorEntry(name: "output_norm.weight", ne: [8], type: 0, offset: nil, data: Array(data.data[0..<32])),
    ]
    return b
  }

  func encode(_ value: Value, into b: inout Bytes) {
    switch value {
    case .u32(let v): b.u32(4); b.u32(v)
    case .i32(let v): b.u32(5); b.i32(v)
    case .f32(let v): b.u32(6); b.f32(v)
    case .bool(let v): b.u32(7); b.u8(v)
    case .string(let s): b.u32(8); b.string(s)
    case .u64(let v): b.u32(10); b.u64(v)
    case .stringArray(let items): b.u32(9); b.u32(8); b.u64(UInt64(items.count)); for s in items { b.string(s) }
    case .f32Array(let items): b.u32(9); b.u32(6); b.u64(UInt64(items.count)); for v in items { b.f32(v) }
    case .i32Array(let items): b.u32(9); b.u32(5); b.u64(UInt64(items.count)); for v in items { b.i32(v) }
    case .raw(let type, let bytes): b.u32(type); b.data += bytes
    }
  }

  /// The file bytes, and where the tensor-info section and the data section start.
  func build() -> (bytes: [UInt8], infoStart: Int, dataStart: Int) {
    var b = Bytes()
    b.data += magic
    b.u32(version)
    b.u64(tensorCount ?? UInt64(tensors.count))
    b.u64(kvCount ?? UInt64(metadata.count))
    for (key, value) in metadata {
      b.string(key)
      encode(value, into: &b)
    }
    let infoStart = b.data.count
    var offset: UInt64 = 0
    var offsets: [UInt64] = []
    for t in tensors {
      offsets.append(t.offset ?? offset)
      offset += UInt64((t.data.count + alignment - 1) / alignment * alignment)
    }
    for (t, o) in zip(tensors, offsets) {
      b.string(t.name)
      b.u32(UInt32(t.ne.count))
      for n in t.ne { b.u64(n) }
      b.u32(t.type)
      b.u64(o)
    }
    b.pad(to: alignment)
    let dataStart = b.data.count
    for t in tensors {
      b.data += t.data
      b.pad(to: alignment)
    }
    return (b.data, infoStart, dataStart)
  }
}

/// A zip archive with stored (uncompressed) members, as torch.save writes them.
enum StoredZip {
  static func crc32(_ bytes: [UInt8]) -> UInt32 { CRC32.checksum(bytes) }

  /// A member as it goes into the zip: stored, or deflated (as stored deflate blocks, which
  /// libarchive inflates), with the uncompressed size the headers declare (default: the true one).
  struct Member {
    var name: String
    var data: [UInt8]
    var deflated = false
    var declaredSize: UInt32? = nil
  }

  static func build(_ members: [(name: String, data: [UInt8])]) -> [UInt8] {
    build(members: members.map { Member(name: $0.name, data: $0.data) })
  }

  static func build(members: [Member]) -> [UInt8] {
    var b = Bytes()
    var central = Bytes()
    for member in members {
      let (name, data) = (member.name, member.data)
      var payload = data
      if member.deflated {
        // One final stored block: BFINAL 1, BTYPE 00, LEN, NLEN, the bytes.
        let length = UInt16(data.count)
        payload = [0x01, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)] + data
      }
      let method: UInt16 = member.deflated ? 8 : 0
      let size = member.declaredSize ?? UInt32(data.count)
      let offset = UInt32(b.data.count)
      let crc = crc32(data)
      b.u32(0x0403_4B50); b.u16(20); b.u16(0); b.u16(method); b.u16(0); b.u16(0)
      b.u32(crc); b.u32(UInt32(payload.count)); b.u32(size)
      b.u16(UInt16(name.utf8.count)); b.u16(0)
      b.data += name.utf8
      b.data += payload
      central.u32(0x0201_4B50); central.u16(20); central.u16(20); central.u16(0); central.u16(method); central.u16(0); central.u16(0)
      central.u32(crc); central.u32(UInt32(payload.count)); central.u32(size)
      central.u16(UInt16(name.utf8.count)); central.u16(0); central.u16(0); central.u16(0); central.u16(0); central.u32(0)
      central.u32(offset)
      central.data += name.utf8
    }
    let directoryOffset = UInt32(b.data.count)
    b.data += central.data
    b.u32(0x0605_4B50); b.u16(0); b.u16(0)
    b.u16(UInt16(members.count)); b.u16(UInt16(members.count))
    b.u32(UInt32(central.data.count)); b.u32(directoryOffset); b.u16(0)
    return b.data
  }
}

/// Pickle opcodes for hand-made state dicts.
struct PickleBuilder {
  var data: [UInt8] = [0x80, 0x02]
  mutating func global(_ module: String, _ name: String) { data.append(0x63); data += Array("\(module)\n\(name)\n".utf8) }
  mutating func string(_ s: String) { data.append(0x58); withUnsafeBytes(of: UInt32(s.utf8.count).littleEndian) { data += $0 }; data += s.utf8 }
  mutating func int(_ v: UInt8) { data += [0x4B, v] }
  mutating func op(_ code: UInt8) { data.append(code) }
  /// LONG1 with 8 bytes: any 64-bit pattern.
  mutating func long(_ v: UInt64) { data += [0x8A, 8]; withUnsafeBytes(of: v.littleEndian) { data += $0 } }
  /// `{name: _rebuild_tensor_v2(storage("0", FloatStorage, count), offset, shape, stride, False, OrderedDict())}`
  /// with any 64-bit numbers.
  static func tensor(_ name: String, count: UInt64, offset: UInt64, shape: [UInt64], stride: [UInt64]) -> [UInt8] {
    var p = PickleBuilder()
    p.op(0x7D)
    p.string(name)
    p.global("torch._utils", "_rebuild_tensor_v2")
    p.op(0x28)
    p.op(0x28); p.string("storage"); p.global("torch", "FloatStorage"); p.string("0"); p.string("cpu")
    p.long(count); p.op(0x74); p.op(0x51)
    p.long(offset)
    p.op(0x28); for d in shape { p.long(d) }; p.op(0x74)
    p.op(0x28); for d in stride { p.long(d) }; p.op(0x74)
    p.op(0x89)
    p.global("collections", "OrderedDict"); p.op(0x29); p.op(0x52)
    p.op(0x74); p.op(0x52)
    p.op(0x73)  // SETITEM
    p.op(0x2E)
    return p.data
  }
  /// `{name: _rebuild_tensor_v2(storage(key, FloatStorage, count), 0, shape, stride, False, OrderedDict())}`
  static func stateDict(_ tensors: [(name: String, key: String, shape: [UInt8])]) -> [UInt8] {
    var p = PickleBuilder()
    p.op(0x7D)  // EMPTY_DICT
    p.op(0x28)  // MARK
    for t in tensors {
      p.string(t.name)
      p.global("torch._utils", "_rebuild_tensor_v2")
      p.op(0x28)
      p.op(0x28); p.string("storage"); p.global("torch", "FloatStorage"); p.string(t.key); p.string("cpu")
      p.int(t.shape.reduce(1, *)); p.op(0x74); p.op(0x51)  // TUPLE, BINPERSID
      p.int(0)
      p.op(0x28); for d in t.shape { p.int(d) }; p.op(0x74)
      var strides: [UInt8] = []
      var s: UInt8 = 1
      for d in t.shape.reversed() { strides.insert(s, at: 0); s *= d }
      p.op(0x28); for d in strides { p.int(d) }; p.op(0x74)
      p.op(0x89)  // NEWFALSE
      p.global("collections", "OrderedDict"); p.op(0x29); p.op(0x52)
      p.op(0x74); p.op(0x52)  // TUPLE, REDUCE
    }
    p.op(0x75)  // SETITEMS
    p.op(0x2E)
    return p.data
  }
}

extension Array where Element == UInt8 {
  /// Overwrites a little-endian field.
  mutating func set16(_ offset: Int, _ v: UInt16) { Swift.withUnsafeBytes(of: v.littleEndian) { replaceSubrange(offset..<(offset + 2), with: $0) } }
  mutating func set32(_ offset: Int, _ v: UInt32) { Swift.withUnsafeBytes(of: v.littleEndian) { replaceSubrange(offset..<(offset + 4), with: $0) } }
  /// Offsets of every occurrence of a 4-byte little-endian signature.
  func offsets(ofSignature signature: UInt32) -> [Int] {
    let s = Swift.withUnsafeBytes(of: signature.littleEndian) { Array($0) }
    return (0..<(count - 3)).filter { self[$0] == s[0] && self[$0 + 1] == s[1] && self[$0 + 2] == s[2] && self[$0 + 3] == s[3] }
  }
}

/// A temporary folder removed by `remove()`.
struct TemporaryFolder {
  let path: String
  init() throws {
    path = NSTemporaryDirectory() + "llamakit-formats-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }
  func write(_ name: String, _ bytes: [UInt8]) throws -> String {
    let file = path + "/" + name
    try Data(bytes).write(to: URL(fileURLWithPath: file))
    return file
  }
  func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }
  func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// The error message of a throwing call, or nil when it succeeds.
func errorMessage(_ body: () throws -> Void) -> String? {
  do {
    try body()
    return nil
  } catch {
    return "\(error)"
  }
}

/// The thrown error as `Type.case` (the kind of failure) and its message, or nil when the call
/// succeeds.
func failure(_ body: () throws -> Void) -> (kind: String, message: String)? {
  do {
    try body()
    return nil
  } catch {
    let label = Mirror(reflecting: error).children.first?.label ?? "\(error)"
    return ("\(type(of: error)).\(label)", "\(error)")
  }
}

/// `bytes` with the first occurrence of `text` overwritten (same length) by `replacement`.
func patch(_ bytes: [UInt8], _ text: String, with replacement: [UInt8]) -> [UInt8] {
  let needle = Array(text.utf8)
  precondition(needle.count == replacement.count)
  var result = bytes
  guard let start = (0...(bytes.count - needle.count)).first(where: { Array(bytes[$0..<($0 + needle.count)]) == needle }) else {
    preconditionFailure("\(text) is not in the bytes")
  }
  result.replaceSubrange(start..<(start + needle.count), with: replacement)
  return result
}

/// `llamakit inspect --json --tensors` (the binary `swift build` put beside the test bundle) on
/// a file the tests made: the tensor is listed at its offset with its size.
enum InspectCLI {
  static func check(_ path: String, tensor: String, offset: Int, bytes: Int) throws {
    let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("llamakit")
    let process = Process()
    process.executableURL = binary
    process.arguments = ["inspect", path, "--json", "--tensors"]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    let json = try JSON.parse(String(decoding: data, as: UTF8.self), source: "inspect")
    let entry = json["tensors"]?.arrayValue?.first { $0["name"]?.stringValue == tensor }
    #expect(entry?["offset"]?.intValue == Int64(offset) && entry?["bytes"]?.intValue == Int64(bytes), "\(entry.map { $0.serialized() } ?? "not listed")")
  }
}
