import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// Plain HTTP requests to a dashboard on loopback.
enum HTTP {
    struct Reply: Sendable {
        var status: Int
        var body: String
    }

    /// One request; nil when nothing answered within `timeout`.
    static func request(_ url: String, method: String = "GET", headers: [String: String] = [:], body: String? = nil, timeout: Double = 10) -> Reply? {
        var request = URLRequest(url: URL(string: url)!, timeoutInterval: timeout)
        request.httpMethod = method
        request.httpBody = body.map { Data($0.utf8) }
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let box = ReplyBox()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, response, _ in
            if let r = response as? HTTPURLResponse { box.set(Reply(status: r.statusCode, body: String(decoding: data ?? Data(), as: UTF8.self))) }
            done.signal()
        }.resume()
        guard done.wait(timeout: .now() + timeout + 1) == .success else { return nil }
        return box.value
    }

    /// Set once by the URLSession callback before it signals; read after the wait.
    private final class ReplyBox: @unchecked Sendable {
        var value: Reply?
        func set(_ r: Reply) { value = r }
    }
}

/// The headless Chromium driver in cdp_driver.py (Chromium's DevTools pipe; Debian's
/// python3 with no extra package): opens pages, evaluates script, drags the mouse, takes
/// screenshots and collects console messages.
struct BrowserSession {
    let scratch: Scratch

    struct Result {
        var values: [String: Any]
        var console: [String]
        var errors: [String]
    }

    func run(_ steps: [[String: Any]], screenshots: String) throws -> Result {
        let chromium = try #require(Chromium.executable, "chromium is missing: apt install chromium (make deps does)")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("cdp_driver.py").path
        let stepsFile = scratch.path("steps-\(UUID().uuidString.prefix(6)).json")
        try JSONSerialization.data(withJSONObject: steps).write(to: URL(fileURLWithPath: stepsFile))
        let out = scratch.path("driver-\(UUID().uuidString.prefix(6)).json")
        let p = try TestProcess.start("/usr/bin/python3", [script, chromium, scratch.path("profile-\(UUID().uuidString.prefix(6))"), screenshots],
                                      output: out, errors: scratch.path("driver.err"), input: stepsFile)
        TestProcess.finish(p, timeout: 240)
        let text = scratch.read(URL(fileURLWithPath: out).lastPathComponent)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                                "the driver printed no result: \(text.prefix(500)) \(scratch.read("driver.err").suffix(2000))")
        return Result(values: json, console: json["console"] as? [String] ?? ["no console list"], errors: json["errors"] as? [String] ?? ["no error list"])
    }
}

/// Values of one Prometheus text exposition.
struct PrometheusText {
    var samples: [String: Double] = [:]

    init(_ text: String) {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let v = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = v
        }
    }

    subscript(_ key: String) -> Double? { samples[key] }
}

/// The port in a `http://HOST:PORT/` line of `log`.
func dashboardPort(in log: String) -> Int? {
    HTMLScan.first("on http://(?:127\\.0\\.0\\.1|0\\.0\\.0\\.0):([0-9]+)/", in: log).flatMap { Int($0) }
}
