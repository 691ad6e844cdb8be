#if canImport(Glibc)
  import Glibc
#endif

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
  _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
  _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The one-input function of the target being run.
nonisolated(unsafe) var currentTarget: (UnsafeRawBufferPointer) -> Void = { _ in }

/// Runs libFuzzer's driver on `target` with the process's remaining arguments (libFuzzer's
/// options, corpus folders).
public func runFuzzer(arguments: [String], _ target: @escaping (UnsafeRawBufferPointer) -> Void) -> Never {
  currentTarget = target
  var cArguments = arguments.map { strdup($0) } + [nil]
  var argc = CInt(arguments.count)
  let status = cArguments.withUnsafeMutableBufferPointer { buffer -> CInt in
    var argv = buffer.baseAddress!
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
      currentTarget(UnsafeRawBufferPointer(start: data, count: size))
      return 0
    }
  }
  exit(status)
}

/// A scratch folder in memory (/dev/shm when there is one) for the files a parser opens.
public let scratch: String = {
  let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
  let path = "\(base)/llamakit-fuzz-\(getpid())"
  mkdir(path, 0o755)
  return path
}()

/// Writes `bytes` to `name` in the scratch folder and returns its path.
public func write(_ bytes: UnsafeRawBufferPointer, to name: String) -> String {
  let path = scratch + "/" + name
  let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
  precondition(fd >= 0, "cannot write \(path)")
  var offset = 0
  while offset < bytes.count {
    let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
    precondition(n > 0, "cannot write \(path)")
    offset += n
  }
  close(fd)
  return path
}

/// Copies a fixed companion file (read once) into the scratch folder.
public func place(_ source: String, as name: String) {
  let input = open(source, O_RDONLY)
  precondition(input >= 0, "cannot read \(source)")
  var bytes = [UInt8](repeating: 0, count: 1 << 20)
  var all: [UInt8] = []
  while true {
    let n = read(input, &bytes, bytes.count)
    if n <= 0 { break }
    all += bytes[0..<n]
  }
  close(input)
  _ = all.withUnsafeBytes { write($0, to: name) }
}
