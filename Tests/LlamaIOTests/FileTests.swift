import Foundation
import LlamaIO
import Testing

@Suite("files: MappedFile, AtomicFile, ArchiveReader")
struct FileTests {
  static let io = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/io").path

  func temporaryFolder() throws -> String {
    let path = NSTemporaryDirectory() + "llamakit-tests-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  @Test("MappedFile maps, and names the file in errors")
  func mappedFile() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Data("abc".utf8).write(to: URL(fileURLWithPath: folder + "/a.txt"))
    try Data().write(to: URL(fileURLWithPath: folder + "/empty"))
    #expect(try MappedFile(path: folder + "/a.txt").contents == Array("abc".utf8))
    #expect(try MappedFile(path: folder + "/empty").count == 0)
    #expect(throws: IOError.cannotOpen(path: folder + "/missing", reason: "No such file or directory")) {
      _ = try MappedFile(path: folder + "/missing")
    }
    #expect(throws: IOError.notARegularFile(path: folder)) { _ = try MappedFile(path: folder) }
    var reader = try MappedFile(path: folder + "/a.txt").reader()
    #expect(try reader.string(3) == "abc")
  }

  @Test("AtomicFile appears complete or not at all")
  func atomicFile() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let target = folder + "/out.json"
    let file = try AtomicFile(path: target)
    try file.write("{\"a\": 1}")
    #expect(!FileManager.default.fileExists(atPath: target))
    #expect(FileManager.default.fileExists(atPath: file.temporaryPath))
    try file.commit()
    #expect(try String(contentsOfFile: target, encoding: .utf8) == "{\"a\": 1}")
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["out.json"])

    #expect(throws: IOError.outputExists(path: target)) { _ = try AtomicFile(path: target) }
    do {
      let replaced = try AtomicFile(path: target, overwrite: true)
      try replaced.write("partial")
      // Dropped without commit: the temporary file goes, the target is untouched.
    }
    #expect(try String(contentsOfFile: target, encoding: .utf8) == "{\"a\": 1}")
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["out.json"])
    try AtomicFile.write(Array("new".utf8), to: target)
    #expect(try String(contentsOfFile: target, encoding: .utf8) == "new")
    #expect(throws: IOError.self) { _ = try AtomicFile(path: folder + "/no/such/folder/x") }
  }

  @Test("ArchiveReader lists and reads zip members, with a size limit")
  func zip() throws {
    let reader = try ArchiveReader(path: Self.io + "/two-members.zip")
    let first = try #require(try reader.next())
    #expect(first.name == "archive/data.pkl")
    #expect(first.size == 6)
    #expect(try reader.readData(limit: 100) == [0x80, 0x02, 0x7D, 0x71, 0x00, 0x2E])
    let second = try #require(try reader.next())
    #expect(second.name == "archive/notes.txt")
    #expect(throws: IOError.tooLarge(source: Self.io + "/two-members.zip", what: "archive member", size: 6000, limit: 5000)) {
      _ = try reader.readData(limit: 5000)
    }
    #expect(try reader.next() == nil)
  }

  @Test("ArchiveReader decompresses single files and reports bad input")
  func compressed() throws {
    let text = try ArchiveReader.decompressedContents(of: Self.io + "/hello.txt.gz", limit: 10_000)
    #expect(text.count == 1300)
    #expect(String(decoding: text.prefix(13), as: UTF8.self) == "hello, world\n")
    #expect(throws: IOError.self) {
      _ = try ArchiveReader.decompressedContents(of: Self.io + "/hello.txt.gz", limit: 100)
    }
    #expect(throws: IOError.self) { _ = try ArchiveReader(path: Self.io + "/missing.zip") }
  }
}
