import Foundation
import Cluster
import Testing
@testable import SweepDashboard

/// What the dashboard's HTTP layer does around every route: requests for other host names
/// refused on loopback (DNS rebinding), and large text answers gzip-compressed.
@Suite struct DashboardHTTPTests {
    /// Requests with raw headers (Python's http.client sends `Host` and `Accept-Encoding` as
    /// given, and does not decompress): one JSON line per request.
    static let client = """
        import gzip, http.client, json, sys
        port = int(sys.argv[1])
        for line in sys.stdin:
            ask = json.loads(line)
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.putrequest("GET", ask["path"], skip_host=True, skip_accept_encoding=True)
            for k, v in ask["headers"].items():
                c.putheader(k, v)
            c.endheaders()
            r = c.getresponse()
            body = r.read()
            encoding = r.getheader("Content-Encoding")
            text = (gzip.decompress(body) if encoding == "gzip" else body).decode()
            print(json.dumps({"status": r.status, "encoding": encoding, "vary": r.getheader("Vary"),
                              "sent": len(body), "text": text}), flush=True)
            c.close()
        """

    struct Answer: Decodable {
        var status: Int
        var encoding: String?
        var vary: String?
        var sent: Int
        var text: String
    }

    static func ask(_ s: Scratch, port: Int, _ requests: [(path: String, headers: [String: String])]) throws -> [Answer] {
        let script = try s.write("client.py", client)
        let lines = try requests.map { String(decoding: try JSONSerialization.data(withJSONObject: ["path": $0.path, "headers": $0.headers]), as: UTF8.self) }
        let input = try s.write("requests.jsonl", lines.joined(separator: "\n") + "\n")
        let out = try s.run("/bin/sh", ["-c", "/usr/bin/python3 \(script) \(port) < \(input)"], timeout: 60)
        try #require(out.status == 0, "\(out.output)")
        let answers = try out.output.split(separator: "\n").map { try JSONDecoder().decode(Answer.self, from: Data($0.utf8)) }
        try #require(answers.count == requests.count, "\(out.output)")
        return answers
    }

    @Test func onLoopbackOnlyLocalNamesAreAnsweredAndLargeAnswersAreCompressed() throws {
        let s = try Scratch("dashboard-http")
        defer { s.cleanUp() }
        let file = try s.write("h.yaml", syntheticSweep(study: "h", trials: 40, epochs: 3, pruner: "{name: none}"))
        #expect(try s.sweep(["run", file, "--workers", "2", "--db", s.db, "--no-progress"]).status == 0)
        let (server, port) = try DashboardTests.startWithDashboard(s, ["dashboard", "--db", s.db, "--bind", "127.0.0.1:0"], log: "dashboard.log")
        defer { server.terminate(); server.waitUntilExit() }
        let study = "/api/study?name=h"
        let answers = try Self.ask(s, port: port, [
            (study, ["Host": "localhost:\(port)"]),
            (study, ["Host": "127.0.0.1:\(port)"]),
            (study, ["Host": "[::1]:\(port)"]),
            (study, ["Host": "evil.example:\(port)"]),
            (study, ["Host": "127.0.0.1.evil.example"]),
            ("/", ["Host": "attacker.test"]),
            (study, ["Host": "localhost", "Accept-Encoding": "gzip, deflate, br"]),
            (study, ["Host": "localhost", "Accept-Encoding": "gzip;q=0, identity"]),
            ("/api/coordinator", ["Host": "localhost", "Accept-Encoding": "gzip"]),
        ])
        for a in answers[0..<3] { #expect(a.status == 200 && a.text.contains("\"name\":\"h\""), "\(a.status) \(a.text.prefix(300))") }
        for a in answers[3..<6] {
            #expect(a.status == 421 && a.text.contains("answers requests for localhost only") && !a.text.contains("\"name\":\"h\""), "\(a.status) \(a.text.prefix(300))")
        }
        #expect(answers[3].text.contains("'evil.example:\(port)'"), "\(answers[3].text)")
        // Compressed when asked, to the same text; plain when gzip is refused; small answers plain.
        let plain = answers[0], zipped = answers[6], refused = answers[7], small = answers[8]
        #expect(zipped.status == 200 && zipped.encoding == "gzip" && zipped.vary == "Accept-Encoding")
        #expect(zipped.text == plain.text, "the compressed answer decompressed to other text")
        #expect(zipped.sent * 4 < plain.sent, "compressed \(zipped.sent) bytes of \(plain.sent)")
        #expect(refused.encoding == nil && refused.text == plain.text)
        #expect(small.status == 200 && small.encoding == nil, "\(small)")
    }

    /// `--allow-host NAME` on loopback: that name is answered (a reverse proxy passing its own
    /// `Host`), any other still refused; a malformed name is refused at start.
    @Test func anAllowedHostNameIsAnsweredOnLoopback() throws {
        let s = try Scratch("dashboard-http-allow")
        defer { s.cleanUp() }
        let file = try s.write("h.yaml", syntheticSweep(study: "h", trials: 2, epochs: 1))
        #expect(try s.sweep(["run", file, "--workers", "1", "--db", s.db, "--no-progress"]).status == 0)
        let (server, port) = try DashboardTests.startWithDashboard(s, ["dashboard", "--db", s.db, "--bind", "127.0.0.1:0", "--allow-host", "Sweep.Example.com", "--allow-host", "[fd00::1]"], log: "dashboard.log")
        defer { server.terminate(); server.waitUntilExit() }
        let answers = try Self.ask(s, port: port, [
            ("/api/studies", ["Host": "sweep.example.com"]),
            ("/api/studies", ["Host": "SWEEP.example.com.:443"]),
            ("/api/studies", ["Host": "[fd00::1]:80"]),
            ("/api/studies", ["Host": "evil.example.com"]),
            ("/api/studies", ["Host": "example.com"]),
        ])
        for a in answers[0..<3] { #expect(a.status == 200 && a.text.contains("\"name\":\"h\""), "\(a.status) \(a.text.prefix(300))") }
        for a in answers[3..<5] {
            #expect(a.status == 421 && a.text.contains("--allow-host NAME") && a.text.contains("localhost and fd00::1, sweep.example.com, not for"), "\(a.status) \(a.text.prefix(300))")
        }
        // Two Host headers (which one a proxy in front went by is unknown): refused (RFC 9112),
        // whichever comes first. The first alone was checked, and the request answered.
        let twice = try s.run("/usr/bin/python3", ["-c", """
            import socket, sys
            for hosts in (["localhost", "evil.example"], ["evil.example", "localhost"], ["localhost"]):
                c = socket.create_connection(("127.0.0.1", \(port)))
                c.sendall(("GET /api/studies HTTP/1.1\\r\\n" + "".join("Host: %s\\r\\n" % h for h in hosts) + "Connection: close\\r\\n\\r\\n").encode())
                print(c.recv(100).split(b"\\r\\n")[0].decode())
            """])
        #expect(twice.output.split(separator: "\n") == ["HTTP/1.1 400 Bad Request", "HTTP/1.1 400 Bad Request", "HTTP/1.1 200 OK"], "\(twice.output)")
        for bad in ["sweep.example.com:8080", "http://sweep.example.com", "*.example.com", ""] {
            let refused = try s.sweep(["dashboard", "--db", s.db, "--allow-host", bad])
            #expect(refused.status == 2 && refused.output.contains("--allow-host '\(bad)': expected a host name or address without a port or scheme"), "\(refused.output)")
        }
    }

    /// /metrics follows renames and deletes: a study's last counts were served for good (a
    /// renamed study counted twice in a sum; an alert on a deleted one never cleared).
    @Test func metricsForgetRenamedAndDeletedStudies() throws {
        let s = try Scratch("dashboard-metrics-gone")
        defer { s.cleanUp() }
        let file = try s.write("h.yaml", syntheticSweep(study: "alpha", trials: 3, epochs: 1))
        #expect(try s.sweep(["run", file, "--workers", "1", "--db", s.db, "--no-progress"]).status == 0)
        let server = DashboardServer(databasePath: s.db, options: try DashboardOptions(bind: "127.0.0.1:0", token: nil, insecure: false))
        let complete = { (study: String) in PrometheusText(try server.metricsText())["sweep_trials{study=\"\(study)\",state=\"complete\"}"] }
        #expect(try complete("alpha") == 3)
        #expect(try s.sweep(["rename", "alpha", "beta", "--db", s.db]).status == 0)
        #expect(try complete("beta") == 3 && complete("alpha") == nil)
        #expect(try s.sweep(["delete", "beta", "--yes", "--db", s.db]).status == 0)
        let text = try server.metricsText()
        #expect(!text.contains("sweep_trials{"), "\(text)")
    }

    /// Answers past their life are dropped when the next is kept: every trial page anyone had
    /// viewed stayed in memory (1.6 GB after 20 long trials).
    @Test func expiredAnswersLeaveTheCache() throws {
        let feed = StudyFeed(databasePath: "/nonexistent/sweep.db")
        for i in 0..<50 { _ = try feed.cached("trial:s:\(i)", maxAge: 1) { Data(count: 1000) } }
        #expect(feed.cachedAnswers == 50)
        usleep(1_500_000)
        _ = try feed.cached("trial:s:50", maxAge: 1) { Data(count: 1000) }
        #expect(feed.cachedAnswers == 1)
    }

    /// Bound beyond loopback (with a token), other names are what it is for.
    /// Beyond loopback: requests for an address, localhost, this machine's name or an
    /// allowed name are answered; another name is refused (it answered every name, so a web
    /// page could rebind its name to a dashboard on the user's network and read it).
    @Test func beyondLoopbackItsAddressesAndNamesAreAnswered() throws {
        let s = try Scratch("dashboard-http-any")
        defer { s.cleanUp() }
        let file = try s.write("h.yaml", syntheticSweep(study: "h", trials: 3, epochs: 1))
        #expect(try s.sweep(["run", file, "--workers", "1", "--db", s.db, "--no-progress"]).status == 0)
        let (server, port) = try DashboardTests.startWithDashboard(s, ["dashboard", "--db", s.db, "--bind", "0.0.0.0:0", "--token", String(repeating: "t", count: 20),
                                                                       "--allow-host", "sweep-box.lan"], log: "dashboard.log")
        defer { server.terminate(); server.waitUntilExit() }
        let machine = try #require(LoopbackHostCheck.thisMachine().first)
        let answers = try Self.ask(s, port: port, [
            ("/api/studies", ["Host": "sweep-box.lan:\(port)"]),
            ("/api/studies", ["Host": "10.1.2.3:\(port)"]),
            ("/api/studies", ["Host": "[fe80::1]:\(port)"]),
            ("/api/studies", ["Host": "\(machine):\(port)"]),
            ("/api/studies", ["Host": "localhost:\(port)"]),
            ("/api/studies", ["Host": "rebind.evil.example:\(port)"]),
        ])
        for a in answers[0..<5] { #expect(a.status == 200 && a.text.contains("\"name\":\"h\""), "\(a)") }
        #expect(answers[5].status == 421 && answers[5].text.contains("allow that name: sweep dashboard --allow-host NAME") && !answers[5].text.contains("\"name\":\"h\""), "\(answers[5])")
    }

    @Test(arguments: [("10.0.0.5", true), ("192.168.1.256", false), ("fe80::1", true), ("::ffff:10.0.0.1", true), ("1:2::3::4", false), ("beef", false), ("cafe.example", false)])
    func addressesAreNumbersWrittenOut(host: String, isAddress: Bool) {
        #expect(LoopbackHostCheck.isAddress(host) == isAddress)
    }

    @Test(arguments: [
        ("localhost", true), ("LOCALHOST:8080", true), ("localhost.:1", true), ("a.localhost", true),
        ("127.0.0.1", true), ("127.1.2.3:9", true), ("[::1]:8080", true),
        ("127.0.0.1.nip.io", false), ("127.evil.com", false), ("evil.com", false), ("[::2]:1", false), ("localhost.evil.com", false), ("", false),
    ])
    func loopbackNames(authority: String, isLoopback: Bool) {
        #expect(LoopbackHostCheck.namesLoopback(authority) == isLoopback)
    }

    /// A host name that only starts with `127.` is no loopback: listening on it needs a
    /// token, as the coordinator needs keys (DNS decides where `127.evil.com` points).
    @Test func aNameStartingWith127IsBeyondLoopback() throws {
        #expect(throws: DashboardError.self) { try DashboardOptions(bind: "127.evil.com:8080", token: nil, insecure: false) }
        #expect(try DashboardOptions(bind: "127.0.0.2:8080", token: nil, insecure: false).host == "127.0.0.2")
        #expect(try DashboardOptions(bind: "localhost:8080", token: nil, insecure: false).host == "localhost")
        #expect(!SecurityOptions.isLocal("tcp://127.evil.com:5555") && SecurityOptions.isLocal("tcp://127.0.0.1:5555") && SecurityOptions.isLocal("tcp://[::1]:5555"))
    }

    @Test(arguments: [
        ("gzip", true), ("deflate, gzip;q=0.5", true), ("GZIP", true), ("*", true), ("x-gzip", true),
        ("gzip;q=0", false), ("br, deflate", false), ("identity", false),
    ])
    func acceptEncoding(value: String, accepts: Bool) {
        #expect(GzipResponses.acceptsGzip(value) == accepts)
    }
}
