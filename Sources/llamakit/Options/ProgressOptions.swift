import ArgumentParser

/// `--quiet` and `--verbose` of the long-running commands.
struct ProgressOptions: ParsableArguments {
  @Flag(name: [.customShort("q"), .long], help: "No progress line (it is only drawn when stderr is a terminal).")
  var quiet = false

  @Flag(name: [.customShort("v"), .long], help: "Per-step detail on stderr (each tensor, chunk, task or repetition).")
  var verbose = false

  func validate() throws {
    if quiet && verbose { throw ValidationError("--quiet and --verbose cannot be combined") }
  }

  func progress(_ label: String) -> Progress { Progress(label: label, quiet: quiet, verbose: verbose) }
}
