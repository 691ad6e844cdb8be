import LlamaCore
import LlamaFormats
import LlamaIO

/// One `torch.save` zip file holding a state dict: tensor name → view of a storage.
final class TorchCheckpoint: @unchecked Sendable {
  let path: String
  let zip: TorchZip
  /// In pickle order.
  let entries: [(name: String, tensor: TorchTensor)]
  let byName: [String: TorchTensor]

  /// `PK\x03\x04` starts a zip; the legacy (pre-1.6) format starts with a pickled magic number.
  static let zipMagic: [UInt8] = [0x50, 0x4B, 0x03, 0x04]
  static let legacyMagic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8]

  init(path: String) throws {
    self.path = path
    let head = try MappedFile(path: path).withUnsafeBytes { Array($0.prefix(12)) }
    if head == Self.legacyMagic {
      throw FormatError.unsupportedVersion(path: path, detail: "legacy torch.save format (before torch 1.6); re-save it with a current torch")
    }
    guard head.starts(with: Self.zipMagic) else {
      throw FormatError.malformed(path: path, detail: "not a zip file (a torch.save checkpoint starts with PK)")
    }
    let zip = try TorchZip(path: path)
    self.zip = zip
    guard zip.member("version") != nil else {
      throw FormatError.malformed(path: path, detail: "no \(zip.prefix)version record: not a torch.save checkpoint")
    }
    if let order = zip.member("byteorder") {
      let (bytes, owner) = try zip.contents("byteorder")
      let text = withExtendedLifetime(owner) { String(decoding: bytes, as: UTF8.self) }
      guard text == "little" else {
        throw FormatError.unsupportedVersion(path: path, detail: "byte order \(text) (\(order.name))")
      }
    }
    let (pickle, owner) = try zip.contents("data.pkl")
    let root = try withExtendedLifetime(owner) {
      var reader = PickleReader(pickle, path: path + ":" + zip.prefix + "data.pkl")
      return try reader.run()
    }
    guard case .dict(let dict) = root else {
      throw FormatError.malformed(path: path, detail: "the pickle holds \(root.kind), expected a state dict")
    }
    var entries: [(String, TorchTensor)] = []
    var byName: [String: TorchTensor] = [:]
    for (key, value) in dict.entries {
      guard case .string(let name) = key else {
        throw FormatError.malformed(path: path, detail: "state dict key is \(key.kind), expected a string")
      }
      guard case .tensor(let tensor) = value else {
        throw FormatError.malformed(path: path, detail: "state dict entry \(name) is \(value.kind), expected a tensor")
      }
      guard byName[name] == nil else { throw FormatError.malformed(path: path, detail: "state dict names \(name) twice") }
      entries.append((name, tensor))
      byName[name] = tensor
    }
    self.entries = entries
    self.byName = byName
  }

  /// The storage member's bytes, checked against the element count its persistent id states.
  func storageBytes(_ storage: TorchStorage) throws -> (UnsafeRawBufferPointer, owner: AnyObject) {
    let (bytes, owner) = try zip.contents("data/" + storage.key)
    guard let expected = storage.dtype.byteCount(elements: storage.elementCount), expected == bytes.count else {
      throw FormatError.malformed(
        path: path, detail: "storage \(storage.key) has \(bytes.count) bytes, its pickle says \(storage.elementCount) × \(storage.dtype)")
    }
    return (bytes, owner)
  }

  /// The tensor as canonical row-major bytes: a view when it is contiguous in its storage, a
  /// gathered copy otherwise (a saved transpose, a strided view).
  func tensor(_ t: TorchTensor, name: String, canonicalName: String) throws -> Tensor {
    func fail(_ detail: String) -> FormatError { .malformed(path: path, detail: "tensor \(name): \(detail)") }
    guard t.dtype == t.storage.dtype || t.storage.dtype == .u8 else {
      throw fail("dtype \(t.dtype) does not match its \(t.storage.dtype) storage")
    }
    let element = t.dtype.blockBytes
    let (storage, owner) = try storageBytes(t.storage)
    guard let count = elementCount(t.shape) else { throw fail("shape \(t.shape) is too large") }
    let storageElements = storage.count / element
    if count == 0 {
      return Tensor(name: canonicalName, shape: t.shape, dtype: t.dtype, storage: .contiguous(UnsafeRawBufferPointer(start: nil, count: 0), owner: owner))
    }
    // The largest element index the view touches must lie inside the storage.
    var last = t.offset
    for (size, stride) in Swift.zip(t.shape, t.stride) {
      guard stride >= 0 else { throw fail("negative stride") }
      let (step, overflow) = (size - 1).multipliedReportingOverflow(by: stride)
      let (sum, overflow2) = last.addingReportingOverflow(step)
      guard !overflow, !overflow2 else { throw fail("view extent overflows") }
      last = sum
    }
    guard last < storageElements else {
      throw fail("view reaches element \(last) of a storage of \(storageElements)")
    }
    // Stride-0 (broadcast) views could otherwise ask for a copy far larger than the file.
    guard count <= storageElements else {
      throw fail("view has \(count) elements, more than its storage's \(storageElements)")
    }
    var contiguousStride = 1
    var isContiguous = true
    for (size, stride) in Swift.zip(t.shape, t.stride).reversed() where size != 1 {
      if stride != contiguousStride { isContiguous = false }
      contiguousStride *= size
    }
    if isContiguous {
      let bytes = UnsafeRawBufferPointer(rebasing: storage[(t.offset * element)..<((t.offset + count) * element)])
      return Tensor(name: canonicalName, shape: t.shape, dtype: t.dtype, storage: .contiguous(bytes, owner: owner))
    }
    // Gather element by element in row-major order.
    var gathered = [UInt8](repeating: 0, count: count * element)
    withExtendedLifetime(owner) {
      gathered.withUnsafeMutableBytes { out in
        var index = [Int](repeating: 0, count: t.shape.count)
        for i in 0..<count {
          var source = t.offset
          for d in 0..<index.count { source += index[d] * t.stride[d] }
          (out.baseAddress! + i * element).copyMemory(from: storage.baseAddress! + source * element, byteCount: element)
          var d = index.count - 1
          while d >= 0 {
            index[d] += 1
            if index[d] < t.shape[d] { break }
            index[d] = 0
            d -= 1
          }
        }
      }
    }
    let owned = OwnedBytes(gathered)
    return Tensor(name: canonicalName, shape: t.shape, dtype: t.dtype, storage: .contiguous(owned.buffer, owner: owned))
  }
}
