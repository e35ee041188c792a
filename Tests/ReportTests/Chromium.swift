import Foundation
import Testing

/// Headless Chromium from Debian's `chromium` package: screenshots, the DOM after scripts
/// ran, and the console messages a page printed.
struct Chromium {
    let scratch: Scratch

    static var executable: String? { Scratch.which("chromium") ?? Scratch.which("chromium-browser") }

    struct Result {
        var status: Int32
        var stdout: String
        var log: String

        /// Console messages and uncaught errors (Chromium logs them as `INFO:CONSOLE...`).
        var consoleLines: [String] {
            log.split(separator: "\n").map(String.init).filter { $0.contains(":CONSOLE") || $0.contains("Uncaught") }
        }
    }

    /// Runs Chromium on `url` with extra `arguments`; no network (every host name fails to resolve).
    func run(_ arguments: [String], url: String, timeout: Double = 90) throws -> Result {
        let exe = try #require(Self.executable, "chromium is missing: apt install chromium (make test does)")
        let id = UUID().uuidString.prefix(8)
        let out = scratch.path("chromium-\(id).out"), err = scratch.path("chromium-\(id).err")
        let p = try TestProcess.start(exe, ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--disable-extensions",
                                            "--enable-logging=stderr", "--v=0", "--host-resolver-rules=MAP * ~NOTFOUND",
                                            "--user-data-dir=\(scratch.path("chromium-profile-\(id)"))"] + arguments + [url],
                                      in: scratch.directory, output: out, errors: err)
        let status = TestProcess.finish(p, timeout: timeout)
        return Result(status: status,
                      stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                      log: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    /// A screenshot of `url` in a `width` x `height` window.
    func screenshot(_ url: String, name: String, width: Int = 1000, height: Int = 700) throws -> (PNGImage, Result) {
        let file = scratch.path(name)
        let r = try run(["--screenshot=\(file)", "--window-size=\(width),\(height)"], url: url)
        #expect(FileManager.default.fileExists(atPath: file), "no screenshot written:\n\(r.log.suffix(2000))")
        return (try PNGImage(path: file), r)
    }

    /// The DOM of `url` after its scripts ran.
    func dumpDOM(_ url: String) throws -> Result {
        try run(["--dump-dom", "--window-size=1000,900"], url: url)
    }
}
