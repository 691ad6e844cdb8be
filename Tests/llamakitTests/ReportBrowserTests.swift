import Foundation
import LlamaIO
import Testing

/// Headless Chromium (Debian's `chromium`), with its own background traffic off as far as flags go.
enum Browser {
  static let path: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
    .first { FileManager.default.isExecutableFile(atPath: $0) }
  /// .ci/run installs Chromium and sets this, so that a missing browser fails there.
  static let required = ProcessInfo.processInfo.environment["LLAMAKIT_REQUIRE_BROWSER"] == "1"

  static func run(_ arguments: [String], profile: String) throws -> CLI.Result {
    let browser = try #require(path, "Chromium is not installed (apt-get install chromium)")
    let flags = [
      "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=" + profile, "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
      "--disable-extensions", "--disable-breakpad", "--enable-logging=stderr", "--v=0",
    ]
    return try CLI.launch("/usr/bin/timeout", ["120", browser] + flags + arguments, stdin: nil)
  }

  /// The URLs the page itself asked for: requests in Chromium's net log whose network
  /// isolation key is the file:// site (Chromium's own update and account checks have others).
  static func pageRequests(netLog: String) throws -> [String] {
    let log = try JSON.parse(contentsOf: netLog)
    let types = try #require(log["constants"]?["logEventTypes"]?.objectValue)
    let start = try #require(types["URL_REQUEST_START_JOB"]?.intValue)
    return (log["events"]?.arrayValue ?? []).compactMap { event -> String? in
      guard event["type"]?.intValue == start, let url = event["params"]?["url"]?.stringValue,
        event["params"]?["network_isolation_key"]?.stringValue?.hasPrefix("file://") == true, !url.hasPrefix("file:")
      else { return nil }
      return url
    }
  }

  /// Console messages (script errors, refused loads) and failed loads Chromium logged for the
  /// page; its own background requests fail offline too, but not at a file:// URL.
  static func pageErrors(_ stderr: String) -> [String] {
    stderr.split(separator: "\n").map(String.init).filter {
      $0.contains("CONSOLE") || $0.contains("Refused to") || ($0.contains("ERR_") && $0.contains("file://"))
    }
  }
}

@Suite("report in a browser", .enabled(if: Browser.path != nil || Browser.required, "Chromium is not installed (apt-get install chromium); .ci/run installs it"))
struct ReportBrowserTests {
  @Test("the eval, KL and combined pages load in headless Chromium without errors or requests, and the screenshots show the charts")
  func render() throws {
    let folder = try CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try ReportRuns.make(in: folder)
    // A page that does ask for an image: the request check must see it.
    try Data(#"<!DOCTYPE html><html><body><img src="http://example.invalid/x.png"></body></html>"#.utf8)
      .write(to: URL(fileURLWithPath: folder + "/control.html"))
    let control = try Browser.run(["--log-net-log=\(folder)/control-net.json", "--dump-dom", "file://\(folder)/control.html"], profile: folder + "/profile-control")
    #expect(control.status == 0, "\(control.stderr)")
    #expect(try Browser.pageRequests(netLog: folder + "/control-net.json") == ["http://example.invalid/x.png"])
    // And a page with a script error: the console check must see it.
    try Data("<!DOCTYPE html><html><body><script>undefinedFunction()</script></body></html>".utf8)
      .write(to: URL(fileURLWithPath: folder + "/broken.html"))
    let broken = try Browser.run(["--dump-dom", "file://\(folder)/broken.html"], profile: folder + "/profile-broken")
    #expect(Browser.pageErrors(broken.stderr).contains { $0.contains("undefinedFunction is not defined") }, "\(broken.stderr)")

    for name in ["eval", "kl", "all"] {
      let page = "file://\(folder)/\(name).html"
      let html = try ReportRuns.page(folder + "/\(name).html")
      // The document as Chromium parsed it: every chart an SVG element of the DOM.
      let dom = try Browser.run(["--dump-dom", page], profile: folder + "/profile-\(name)")
      #expect(dom.status == 0, "\(dom.stderr)")
      #expect(ReportRuns.occurrences("<svg", in: dom.stdout) == ReportRuns.occurrences("<svg", in: html) && dom.stdout.contains("</svg>"))
      #expect(Browser.pageErrors(dom.stderr).isEmpty, "\(Browser.pageErrors(dom.stderr))")

      let png = "\(folder)/\(name).png", net = "\(folder)/\(name)-net.json"
      let shot = try Browser.run(["--window-size=1000,6000", "--screenshot=\(png)", "--log-net-log=\(net)", page], profile: folder + "/profile-\(name)")
      #expect(shot.status == 0, "\(shot.stderr)")
      #expect(Browser.pageErrors(shot.stderr).isEmpty, "\(Browser.pageErrors(shot.stderr))")
      #expect(try Browser.pageRequests(netLog: net).isEmpty)
      // The charts are drawn: bars and lines in the first run's colour (#4e79a7), and in the
      // second's (#f28e2b) where there are two runs.
      let image = try PNGImage(path: png)
      #expect(image.width == 1000 && image.height == 6000)
      let first = image.count(red: 0x4E, green: 0x79, blue: 0xA7), second = image.count(red: 0xF2, green: 0x8E, blue: 0x2B)
      #expect(first > 5000, "\(name): \(first) pixels of #4e79a7")
      #expect(name != "all" || second > 5000, "\(name): \(second) pixels of #f28e2b")
    }
  }
}
