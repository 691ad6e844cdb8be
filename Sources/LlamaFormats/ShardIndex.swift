import LlamaIO

/// `model.safetensors.index.json` / `pytorch_model.bin.index.json`: `{"metadata": {...},
/// "weight_map": {tensor: shard file}}` (formats.md §2.2). Shard names must be plain file names
/// in the index's folder: no paths, no "..", and every shard must exist.
public enum ShardIndex {
  /// The shard file names in first-use order, and tensor → shard.
  public static func read(_ path: String, folder: String) throws -> (shards: [String], weightMap: [String: String]) {
    let json = try JSON.parse(contentsOf: path)
    func fail(_ detail: String) -> FormatError { .malformed(path: path, detail: detail) }
    guard let map = json["weight_map"]?.objectValue else { throw fail("weight_map is missing or not an object") }
    var shards: [String] = []
    var seen = Set<String>()
    var weightMap: [String: String] = [:]
    for entry in map.entries {
      guard let shard = entry.value.stringValue else { throw fail("weight_map[\(entry.key)] is not a string") }
      guard !shard.isEmpty, !shard.contains("/"), !shard.contains("\\"), shard != ".", shard != "..",
        !shard.contains("\0")
      else {
        throw fail("shard name \"\(shard)\" for \(entry.key) is not a plain file name in the model folder")
      }
      weightMap[entry.key] = shard
      if seen.insert(shard).inserted {
        let shardPath = folder.hasSuffix("/") ? folder + shard : folder + "/" + shard
        guard fileExists(atPath: shardPath) else { throw fail("shard \(shard) listed for \(entry.key) does not exist") }
        shards.append(shard)
      }
    }
    guard !shards.isEmpty else { throw fail("weight_map is empty") }
    return (shards, weightMap)
  }

  public static func shards(of path: String, folder: String) throws -> [String] {
    try read(path, folder: folder).shards
  }

  /// Every tensor the index lists must be in some shard (`found` holds the stored names read).
  public static func checkListed(_ weightMap: [String: String], found: Set<String>, index: String?) throws {
    guard let index else { return }
    if let missing = weightMap.keys.sorted().first(where: { !found.contains($0) }) {
      throw FormatError.malformed(path: index, detail: "weight_map lists \(missing), which no shard holds")
    }
  }

  /// The weight files of a Hugging Face checkpoint: those of the index when the location is
  /// (or holds) `indexName`, else the single file (`singleName` in a folder, or the file itself).
  public static func files(of location: CheckpointLocation, single singleName: String, index indexName: String)
    throws -> (shards: [String], index: String?, weightMap: [String: String])
  {
    let index: String?
    if location.isDirectory {
      index = location.has(indexName) ? location.file(indexName) : nil
    } else {
      index = location.name.hasSuffix(".index.json") ? location.path : nil
    }
    guard let index else {
      return ([location.isDirectory ? singleName : location.name], nil, [:])
    }
    let (shards, weightMap) = try read(index, folder: location.directory)
    return (shards, index, weightMap)
  }
}
