import LlamaCore
import LlamaFormats
import LlamaIO

/// The Python values a `torch.save` state dict pickle can build. Dicts and lists are reference
/// types because the pickle fills them after creating them (SETITEMS, APPENDS) and the memo
/// may hold them. Every container knows how deeply it nests, so that no pickle builds a value
/// deeper than `PickleReader.maximumDepth` (releasing one recurses once per level).
indirect enum PickleValue {
  case none
  case bool(Bool)
  case int(Int64)
  case float(Double)
  case string(String)
  case tuple([PickleValue], depth: Int)
  case list(PickleList)
  case dict(PickleDict)
  case global(TorchGlobal)
  case storage(TorchStorage)
  case tensor(TorchTensor)

  var kind: String {
    switch self {
    case .none: return "None"
    case .bool: return "bool"
    case .int: return "int"
    case .float: return "float"
    case .string: return "str"
    case .tuple: return "tuple"
    case .list: return "list"
    case .dict: return "dict"
    case .global(let g): return "global \(g)"
    case .storage: return "storage"
    case .tensor: return "tensor"
    }
  }

  /// Levels of containers in the value (0 for a scalar).
  var depth: Int {
    switch self {
    case .tuple(_, let depth): return depth
    case .list(let list): return list.depth
    case .dict(let dict): return dict.depth
    default: return 0
    }
  }
}

/// A container the pickle may still fill; once put into another value it is final (a state
/// dict pickle fills every container before using it), which keeps depths exact and makes
/// cycles impossible.
class PickleContainer {
  var depth = 1
  var contained = false
}

final class PickleList: PickleContainer { var items: [PickleValue] = [] }

final class PickleDict: PickleContainer {
  var entries: [(key: PickleValue, value: PickleValue)] = []
}

/// The only globals a pickle may name (formats.md §5.2); anything else is refused by name.
enum TorchGlobal: CustomStringConvertible {
  case orderedDict
  case rebuildTensorV2
  case rebuildTensorV3
  case rebuildParameter
  case storageClass(DType, name: String)
  case dtype(DType, name: String)

  static func resolve(module: String, name: String) -> TorchGlobal? {
    switch (module, name) {
    case ("collections", "OrderedDict"): return .orderedDict
    case ("torch._utils", "_rebuild_tensor_v2"): return .rebuildTensorV2
    case ("torch._utils", "_rebuild_tensor_v3"): return .rebuildTensorV3
    case ("torch._utils", "_rebuild_parameter"): return .rebuildParameter
    case ("torch", _):
      if let type = storageClasses[name] { return .storageClass(type, name: name) }
      if let type = dtypes[name] { return .dtype(type, name: name) }
      return nil
    case ("torch.storage", "UntypedStorage"): return .storageClass(.u8, name: name)
    default: return nil
    }
  }

  static let storageClasses: [String: DType] = [
    "FloatStorage": .f32, "HalfStorage": .f16, "BFloat16Storage": .bf16, "DoubleStorage": .f64,
    "LongStorage": .i64, "IntStorage": .i32, "ShortStorage": .i16, "CharStorage": .i8,
    "ByteStorage": .u8, "BoolStorage": .bool, "UntypedStorage": .u8,
  ]
  static let dtypes: [String: DType] = [
    "float32": .f32, "float16": .f16, "bfloat16": .bf16, "float64": .f64, "int64": .i64, "int32": .i32,
    "int16": .i16, "int8": .i8, "uint8": .u8, "bool": .bool,
  ]

  var description: String {
    switch self {
    case .orderedDict: return "collections.OrderedDict"
    case .rebuildTensorV2: return "torch._utils._rebuild_tensor_v2"
    case .rebuildTensorV3: return "torch._utils._rebuild_tensor_v3"
    case .rebuildParameter: return "torch._utils._rebuild_parameter"
    case .storageClass(_, let name): return "torch.\(name)"
    case .dtype(_, let name): return "torch.\(name)"
    }
  }
}

/// A storage named by a persistent id: `("storage", class, key, location, numel)`.
struct TorchStorage {
  var dtype: DType
  var key: String
  var elementCount: Int
}

/// The arguments of `_rebuild_tensor_v2/_v3`: a view of a storage, in elements.
struct TorchTensor {
  var storage: TorchStorage
  var dtype: DType
  var offset: Int
  var shape: [Int]
  var stride: [Int]
}

/// A pickle interpreter for state dicts that builds data and never executes anything: a closed
/// set of opcodes (protocols 2–5 as torch writes them) and the globals of `TorchGlobal`. Every
/// other opcode or global is refused with its name.
struct PickleReader {
  let path: String
  let bytes: UnsafeRawBufferPointer
  private var position = 0
  private var stack: [PickleValue] = []
  private var marks: [Int] = []
  private var memo: [Int: PickleValue] = [:]
  /// Containers nest at most this deep (a state dict needs 3).
  static let maximumDepth = 64
  /// Limits on what one pickle may hold at once, so that memory stays within a small multiple
  /// of the pickle's size and a fixed cap (a state dict's stack holds a 1000-item SETITEMS
  /// batch; its memo a few entries per tensor).
  static let maximumStack = 1 << 20
  static let maximumMarks = 1 << 16
  static let maximumMemo = 1 << 20

  init(_ bytes: UnsafeRawBufferPointer, path: String) {
    self.bytes = bytes
    self.path = path
  }

  func refuse(_ detail: String) -> FormatError {
    .forbiddenPickle(path: path, detail: "\(detail) (at byte \(position))")
  }
  func fail(_ detail: String) -> FormatError {
    .malformed(path: path, detail: "pickle: \(detail) (at byte \(position))")
  }

  private mutating func take(_ n: Int) throws -> UnsafeRawBufferPointer {
    guard n >= 0, n <= bytes.count - position else { throw fail("truncated: \(n) bytes needed, \(bytes.count - position) left") }
    defer { position += n }
    return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + n)])
  }
  private mutating func byte() throws -> UInt8 { try take(1)[0] }
  private mutating func u16() throws -> Int { Int(try take(2).loadUnaligned(as: UInt16.self).littleEndian) }
  private mutating func u32() throws -> Int { Int(try take(4).loadUnaligned(as: UInt32.self).littleEndian) }
  private mutating func line() throws -> String {
    var end = position
    while end < bytes.count && bytes[end] != 0x0A { end += 1 }
    guard end < bytes.count else { throw fail("unterminated line") }
    let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<end]), as: UTF8.self)
    position = end + 1
    return text
  }
  private mutating func utf8(_ n: Int) throws -> String {
    let raw = try take(n)
    guard let text = String(validating: raw, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
    return text
  }
  private mutating func pop() throws -> PickleValue {
    guard let value = stack.popLast() else { throw fail("stack underflow") }
    if let mark = marks.last, stack.count < mark { throw fail("stack underflow past a mark") }
    return value
  }
  /// The items above the last mark, removing the mark.
  private mutating func popMark() throws -> [PickleValue] {
    guard let mark = marks.popLast() else { throw fail("no mark") }
    let items = Array(stack[mark...])
    stack.removeSubrange(mark...)
    return items
  }
  private mutating func push(_ value: PickleValue) { stack.append(value) }

  /// Marks `items` as put into a container, and returns the container's depth with them.
  private func contain(_ items: [PickleValue], in depth: Int) throws -> Int {
    var result = depth
    for item in items {
      switch item {
      case .list(let c as PickleContainer), .dict(let c as PickleContainer): c.contained = true
      default: break
      }
      result = max(result, item.depth + 1)
    }
    guard result <= Self.maximumDepth else { throw fail("values nested more than \(Self.maximumDepth) deep") }
    return result
  }
  /// A new tuple of `items`.
  private func tuple(_ items: [PickleValue]) throws -> PickleValue {
    .tuple(items, depth: try contain(items, in: 1))
  }
  /// `container` (the value under the items) before it is filled.
  private func fillable(_ container: PickleContainer, _ items: [PickleValue], _ what: String) throws {
    let depth = try contain(items, in: container.depth)
    guard !container.contained else { throw refuse("\(what) to a container already inside another value") }
    container.depth = depth
  }

  /// Runs the pickle to STOP and returns the object it built.
  mutating func run() throws -> PickleValue {
    while true {
      let opcode = try byte()
      switch opcode {
      case 0x80:  // PROTO
        let version = try byte()
        guard version >= 2 && version <= 5 else { throw refuse("pickle protocol \(version)") }
      case 0x95: _ = try take(8)  // FRAME: length of the next frame, nothing to do
      case 0x2E:  // STOP
        let result = try pop()
        return result
      case 0x28: marks.append(stack.count)  // MARK
      case 0x4E: push(.none)  // NONE
      case 0x88: push(.bool(true))  // NEWTRUE
      case 0x89: push(.bool(false))  // NEWFALSE
      case 0x4B: push(.int(Int64(try byte())))  // BININT1
      case 0x4D: push(.int(Int64(try u16())))  // BININT2
      case 0x4A: push(.int(Int64(Int32(bitPattern: UInt32(try u32())))))  // BININT
      case 0x8A:  // LONG1
        let n = Int(try byte())
        guard n <= 8 else { throw fail("integer of \(n) bytes is too large") }
        let raw = try take(n)
        var value: Int64 = 0
        for (i, b) in raw.enumerated() { value |= Int64(b) << (8 * i) }
        if n > 0 && n < 8 && raw[n - 1] & 0x80 != 0 { value -= Int64(1) << (8 * n) }
        push(.int(value))
      case 0x47:  // BINFLOAT: 8-byte big-endian double
        push(.float(Double(bitPattern: UInt64(bigEndian: try take(8).loadUnaligned(as: UInt64.self)))))
      case 0x58: push(.string(try utf8(try u32())))  // BINUNICODE
      case 0x8C: push(.string(try utf8(Int(try byte()))))  // SHORT_BINUNICODE
      case 0x8D:  // BINUNICODE8
        let n = try take(8).loadUnaligned(as: UInt64.self).littleEndian
        guard n <= UInt64(bytes.count) else { throw fail("string length \(n) exceeds the pickle") }
        push(.string(try utf8(Int(n))))
      case 0x29: push(.tuple([], depth: 1))  // EMPTY_TUPLE
      case 0x74: push(try tuple(try popMark()))  // TUPLE
      case 0x85: push(try tuple([try pop()]))  // TUPLE1
      case 0x86:  // TUPLE2
        let b = try pop()
        push(try tuple([try pop(), b]))
      case 0x87:  // TUPLE3
        let c = try pop()
        let b = try pop()
        push(try tuple([try pop(), b, c]))
      case 0x5D: push(.list(PickleList()))  // EMPTY_LIST
      case 0x61:  // APPEND
        let item = try pop()
        guard case .list(let list) = stack.last else { throw fail("APPEND to \(stack.last?.kind ?? "nothing")") }
        try fillable(list, [item], "APPEND")
        list.items.append(item)
      case 0x65:  // APPENDS
        let items = try popMark()
        guard case .list(let list) = stack.last else { throw fail("APPENDS to \(stack.last?.kind ?? "nothing")") }
        try fillable(list, items, "APPENDS")
        list.items += items
      case 0x7D: push(.dict(PickleDict()))  // EMPTY_DICT
      case 0x73:  // SETITEM
        let value = try pop()
        let key = try pop()
        guard case .dict(let dict) = stack.last else { throw fail("SETITEM on \(stack.last?.kind ?? "nothing")") }
        try fillable(dict, [key, value], "SETITEM")
        dict.entries.append((key, value))
      case 0x75:  // SETITEMS
        let items = try popMark()
        guard items.count % 2 == 0 else { throw fail("SETITEMS with an odd number of items") }
        guard case .dict(let dict) = stack.last else { throw fail("SETITEMS on \(stack.last?.kind ?? "nothing")") }
        try fillable(dict, items, "SETITEMS")
        for i in stride(from: 0, to: items.count, by: 2) { dict.entries.append((items[i], items[i + 1])) }
      case 0x71: memo[Int(try byte())] = stack.last  // BINPUT
      case 0x72: memo[try u32()] = stack.last  // LONG_BINPUT
      case 0x94: memo[memo.count] = stack.last  // MEMOIZE
      case 0x68, 0x6A:  // BINGET, LONG_BINGET
        let key = opcode == 0x68 ? Int(try byte()) : try u32()
        guard let value = memo[key] else { throw fail("memo \(key) is empty") }
        push(value)
      case 0x63:  // GLOBAL "module\nname\n"
        let module = try line()
        let name = try line()
        push(.global(try resolve(module, name)))
      case 0x93:  // STACK_GLOBAL
        guard case .string(let name) = try pop(), case .string(let module) = try pop() else {
          throw fail("STACK_GLOBAL needs two strings")
        }
        push(.global(try resolve(module, name)))
      case 0x51:  // BINPERSID
        push(.storage(try persistentStorage(try pop())))
      case 0x52:  // REDUCE
        let arguments = try pop()
        let callable = try pop()
        push(try reduce(callable, arguments))
      case 0x62:  // BUILD: only the `_metadata` state of a state dict is accepted (and ignored).
        let state = try pop()
        guard case .dict = stack.last, case .dict = state else {
          throw refuse("BUILD of \(stack.last?.kind ?? "nothing") with \(state.kind)")
        }
      default:
        throw refuse("opcode \(Self.name(of: opcode))")
      }
      if stack.count > Self.maximumStack || marks.count > Self.maximumMarks { throw fail("stack too deep") }
      if memo.count > Self.maximumMemo { throw fail("more than \(Self.maximumMemo) memo entries") }
    }
  }

  private func resolve(_ module: String, _ name: String) throws -> TorchGlobal {
    guard let global = TorchGlobal.resolve(module: module, name: name) else {
      throw refuse("global \(module).\(name)")
    }
    return global
  }

  private func persistentStorage(_ id: PickleValue) throws -> TorchStorage {
    guard case .tuple(let items, _) = id, items.count == 5, case .string("storage") = items[0],
      case .global(.storageClass(let dtype, _)) = items[1], case .string(let key) = items[2],
      case .int(let count) = items[4], count >= 0, count <= Int64(Int.max)
    else {
      throw refuse("persistent id \(id.kind) (expected (\"storage\", class, key, location, count))")
    }
    return TorchStorage(dtype: dtype, key: key, elementCount: Int(count))
  }

  private func integers(_ value: PickleValue, _ what: String) throws -> [Int] {
    guard case .tuple(let items, _) = value else { throw fail("\(what) is \(value.kind), expected a tuple") }
    return try items.map {
      guard case .int(let v) = $0, let int = Int(exactly: v) else { throw fail("\(what) holds \($0.kind)") }
      return int
    }
  }

  private func reduce(_ callable: PickleValue, _ arguments: PickleValue) throws -> PickleValue {
    guard case .global(let global) = callable else { throw refuse("call of \(callable.kind)") }
    guard case .tuple(let args, _) = arguments else { throw fail("arguments are \(arguments.kind)") }
    switch global {
    case .orderedDict:
      guard args.isEmpty else { throw refuse("OrderedDict called with arguments") }
      return .dict(PickleDict())
    case .rebuildTensorV2, .rebuildTensorV3:
      let v3 = { if case .rebuildTensorV3 = global { return true } else { return false } }()
      guard args.count >= (v3 ? 7 : 6), case .storage(let storage) = args[0], case .int(let offset) = args[1],
        offset >= 0, let offsetInt = Int(exactly: offset)
      else { throw fail("\(global) with unexpected arguments") }
      var dtype = storage.dtype
      if v3 {
        guard case .global(.dtype(let type, _)) = args[6] else { throw fail("_rebuild_tensor_v3 without a dtype") }
        dtype = type
      }
      let shape = try integers(args[2], "tensor size")
      let stride = try integers(args[3], "tensor stride")
      guard shape.count == stride.count, shape.count <= 8 else { throw fail("tensor size and stride do not match") }
      return .tensor(TorchTensor(storage: storage, dtype: dtype, offset: offsetInt, shape: shape, stride: stride))
    case .rebuildParameter:
      guard let first = args.first, case .tensor = first else { throw fail("_rebuild_parameter without a tensor") }
      return first
    case .storageClass, .dtype:
      throw refuse("call of \(global)")
    }
  }

  static func name(of opcode: UInt8) -> String {
    let names: [UInt8: String] = [
      0x69: "INST", 0x6F: "OBJ", 0x81: "NEWOBJ", 0x92: "NEWOBJ_EX", 0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4",
      0x50: "PERSID", 0x70: "PUT", 0x67: "GET", 0x49: "INT", 0x4C: "LONG", 0x53: "STRING", 0x55: "SHORT_BINSTRING",
      0x54: "BINSTRING", 0x56: "UNICODE", 0x46: "FLOAT", 0x64: "DICT", 0x6C: "LIST", 0x30: "POP", 0x31: "POP_MARK",
      0x32: "DUP", 0x42: "BINBYTES", 0x43: "SHORT_BINBYTES", 0x8E: "BINBYTES8", 0x8B: "LONG4", 0x8F: "EMPTY_SET",
      0x90: "ADDITEMS", 0x91: "FROZENSET", 0x96: "BYTEARRAY8", 0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER",
    ]
    let hex = "0x" + String(opcode, radix: 16, uppercase: true)
    return names[opcode].map { "\($0) (\(hex))" } ?? hex
  }
}
