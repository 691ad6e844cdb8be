import LlamaCore
import LlamaFormats
import LlamaIO

/// One `.safetensors` file: `u64 N`, an N-byte JSON header, the data buffer (formats.md §2.1).
/// Checked like the Rust reference: the header is a JSON object at most 100 MB; entries have a
/// known dtype, a shape and `data_offsets` whose size matches; sorted by offset they tile the
/// buffer exactly, without holes, overlaps or trailing bytes.
struct SafetensorsFile {
  static let maximumHeaderSize = 100_000_000

  struct Entry {
    var name: String
    var dtype: DType
    var shape: [Int]
    /// Relative to the data buffer.
    var begin: Int
    var end: Int
  }

  let path: String
  let file: MappedFile
  let dataStart: Int
  let entries: [Entry]
  let metadata: [MetadataEntry]

  init(path: String) throws {
    self.path = path
    file = try MappedFile(path: path)
    func fail(_ detail: String) -> FormatError { .malformed(path: path, detail: detail) }
    let (headerSize, json) = try file.withUnsafeBytes { bytes -> (Int, JSON) in
      guard bytes.count >= 8 else { throw fail("shorter than the 8-byte header size (\(bytes.count) bytes)") }
      let size = bytes.loadUnaligned(as: UInt64.self).littleEndian
      guard size <= UInt64(Self.maximumHeaderSize) else {
        throw fail("header size \(size) exceeds \(Self.maximumHeaderSize) bytes")
      }
      guard size <= UInt64(bytes.count - 8) else {
        throw fail("header size \(size) runs past the end of the file (\(bytes.count) bytes)")
      }
      let header = UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + Int(size))])
      guard header.first(where: { $0 != 0x20 }) == UInt8(ascii: "{") else {
        throw fail("header does not start with a JSON object")
      }
      do {
        return (Int(size), try JSON.parse(header, source: path))
      } catch let error as IOError {
        throw fail("header: \(error)".replacingOccurrences(of: path + ": ", with: ""))
      }
    }
    dataStart = 8 + headerSize
    let bufferSize = file.count - dataStart
    guard let object = json.objectValue else { throw fail("header is not a JSON object") }
    var entries: [Entry] = []
    var metadata: [MetadataEntry] = []
    for item in object.entries {
      if item.key == "__metadata__" {
        guard let fields = item.value.objectValue else { throw fail("__metadata__ is not an object") }
        for field in fields.entries {
          guard let text = field.value.stringValue else { throw fail("__metadata__[\(field.key)] is not a string") }
          metadata.append(MetadataEntry(field.key, .string(text)))
        }
        continue
      }
      entries.append(try Self.entry(item.key, item.value, path: path))
    }
    // Tiling check (no holes, no overlaps, whole buffer used).
    var previous = 0
    for entry in entries.sorted(by: { ($0.begin, $0.end) < ($1.begin, $1.end) }) {
      guard entry.begin == previous else {
        throw fail(entry.begin < previous
          ? "tensor \(entry.name) overlaps the previous tensor (offset \(entry.begin) < \(previous))"
          : "hole before tensor \(entry.name) (offset \(entry.begin), previous end \(previous))")
      }
      previous = entry.end
    }
    guard previous == bufferSize else {
      throw fail("tensor data covers \(previous) bytes but the buffer has \(bufferSize)")
    }
    self.entries = entries
    self.metadata = metadata
  }

  static func entry(_ name: String, _ value: JSON, path: String) throws -> Entry {
    func fail(_ detail: String) -> FormatError { .malformed(path: path, detail: "tensor \(name): \(detail)") }
    guard let object = value.objectValue else { throw fail("entry is not an object") }
    guard let dtypeName = object["dtype"]?.stringValue else { throw fail("dtype is missing") }
    guard let dtype = DType.safetensors(dtypeName) else { throw fail("unknown dtype \(dtypeName)") }
    guard let dims = object["shape"]?.arrayValue else { throw fail("shape is missing") }
    var shape: [Int] = []
    for dim in dims {
      guard let value = dim.intValue, value >= 0, let int = Int(exactly: value) else {
        throw fail("shape \(dims.map { $0.serialized() }) has a dimension that is not a non-negative integer")
      }
      shape.append(int)
    }
    guard let offsets = object["data_offsets"]?.arrayValue, offsets.count == 2,
      let begin = offsets[0].intValue, let end = offsets[1].intValue, begin >= 0, end >= begin
    else { throw fail("data_offsets must be [begin, end] with 0 <= begin <= end") }
    guard let count = elementCount(shape), let bytes = dtype.byteCount(elements: count) else {
      throw fail("shape \(shape) is too large or not a whole number of \(dtype) elements")
    }
    guard end - begin == Int64(bytes) else {
      throw fail("data_offsets span \(end - begin) bytes but shape \(shape) of \(dtype) needs \(bytes)")
    }
    return Entry(name: name, dtype: dtype, shape: shape, begin: Int(begin), end: Int(end))
  }

  /// The bytes of an entry (checked to lie inside the file by the tiling check).
  func bytes(of entry: Entry) -> UnsafeRawBufferPointer {
    file.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[(dataStart + entry.begin)..<(dataStart + entry.end)]) }
  }
}

#if canImport(Foundation)
  import Foundation
#endif
