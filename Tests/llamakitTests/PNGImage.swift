import Foundation
import LlamaIO

/// The pixels of an 8-bit RGB or RGBA PNG (what Chromium's screenshots are), decoded for the
/// report tests. The zlib stream is inflated by libarchive, as the raw deflate data of a gzip
/// member (libarchive reads gzip, not bare zlib).
struct PNGImage {
  var width = 0, height = 0
  /// Bytes per pixel: 3 (RGB) or 4 (RGBA).
  var channels = 0
  /// Rows top to bottom, `channels` bytes per pixel.
  var pixels: [UInt8] = []

  struct Failure: Error, CustomStringConvertible { var description: String }

  init(path: String) throws {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    guard bytes.count > 8, bytes[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else {
      throw Failure(description: "\(path): not a PNG file")
    }
    func be32(_ i: Int) -> Int { bytes[i..<i + 4].reduce(0) { $0 << 8 | Int($1) } }
    var offset = 8
    var compressed: [UInt8] = []
    while offset + 12 <= bytes.count {
      let length = be32(offset)
      let type = String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self)
      let data = offset + 8
      guard data + length + 4 <= bytes.count else { throw Failure(description: "\(path): chunk \(type) is cut short") }
      if type == "IHDR" {
        width = be32(data)
        height = be32(data + 4)
        guard bytes[data + 8] == 8, bytes[data + 12] == 0, [2, 6].contains(bytes[data + 9]) else {
          throw Failure(description: "\(path): only 8-bit RGB/RGBA without interlacing is decoded here")
        }
        channels = bytes[data + 9] == 6 ? 4 : 3
      }
      if type == "IDAT" { compressed += bytes[data..<data + length] }
      if type == "IEND" { break }
      offset = data + length + 4
    }
    guard width > 0, height > 0, compressed.count > 6 else { throw Failure(description: "\(path): no image data") }
    let gzip = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF] + compressed[2..<compressed.count - 4] + [UInt8](repeating: 0, count: 8)
    let temporary = NSTemporaryDirectory() + "png-\(UUID().uuidString).gz"
    try Data(gzip).write(to: URL(fileURLWithPath: temporary))
    defer { try? FileManager.default.removeItem(atPath: temporary) }
    let stride = width * channels
    let raw = try ArchiveReader.decompressedContents(of: temporary, limit: (stride + 1) * height)
    guard raw.count == (stride + 1) * height else { throw Failure(description: "\(path): \(raw.count) bytes of scanlines, expected \((stride + 1) * height)") }
    pixels = [UInt8](repeating: 0, count: stride * height)
    // Undo the per-row filters (PNG specification, section 9).
    for y in 0..<height {
      let filter = raw[y * (stride + 1)]
      for x in 0..<stride {
        let value = Int(raw[y * (stride + 1) + 1 + x])
        let a = x >= channels ? Int(pixels[y * stride + x - channels]) : 0
        let b = y > 0 ? Int(pixels[(y - 1) * stride + x]) : 0
        let c = x >= channels && y > 0 ? Int(pixels[(y - 1) * stride + x - channels]) : 0
        let predicted: Int
        switch filter {
        case 0: predicted = 0
        case 1: predicted = a
        case 2: predicted = b
        case 3: predicted = (a + b) / 2
        case 4:
          let p = a + b - c
          let pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
          predicted = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
        default: throw Failure(description: "\(path): unknown row filter \(filter)")
        }
        pixels[y * stride + x] = UInt8((value + predicted) & 0xFF)
      }
    }
  }

  /// How many pixels have exactly this colour.
  func count(red: UInt8, green: UInt8, blue: UInt8) -> Int {
    var n = 0
    for i in Swift.stride(from: 0, to: pixels.count, by: channels) where pixels[i] == red && pixels[i + 1] == green && pixels[i + 2] == blue {
      n += 1
    }
    return n
  }
}
