import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Prometheus
import Search
import ServiceLifecycle
import Store
import Synchronization

/// `sweep dashboard` and `sweep run --dashboard`: an HTTP server over a study database.
///
/// Pages are HTML shells plus one script and one stylesheet served from the binary (no
/// network); the script polls the JSON under `/api`. Every read goes through the
/// dashboard's own read-only connection. GET requests never change anything; the state
/// changes (`POST /api/stop`, `POST /api/studies/NAME/enqueue`) need the token given at start.
public final class DashboardServer: Sendable {
    let options: DashboardOptions
    let feed: StudyFeed
    let registry: PrometheusCollectorRegistry
    /// Present when the dashboard runs inside the coordinator's process.
    public let recorder: CoordinatorMetricsRecorder?
    /// Set by ``sweepEnded()``: the coordinator this dashboard serves has returned.
    private let sweepHasEnded = Atomic<Bool>(false)
    /// When a page last asked for a study or the list of studies (seconds since 1970).
    private let lastPagePoll = Mutex<Double>(0)

    /// The coordinator has returned (the dashboard may linger): /metrics shows no worker and
    /// no report rate, and a stop request says the sweep has ended.
    public func sweepEnded() {
        sweepHasEnded.store(true, ordering: .relaxed)
        recorder?.sweepEnded()
        feed.invalidate() // the next poll reads the end, not an answer cached before it
    }

    /// Waits, at most `seconds`, until a page that was polling (within the last 5 s) has
    /// asked again since now: it then shows the study's end, which it would not if the
    /// dashboard stopped with the sweep at once. Returns at once when no page is open.
    public func letOpenPagesSeeTheEnd(within seconds: Double = 3) {
        let ended = Date().timeIntervalSince1970
        guard lastPagePoll.withLock({ $0 }) > ended - 5 else { return }
        while lastPagePoll.withLock({ $0 }) <= ended && Date().timeIntervalSince1970 < ended + seconds { usleep(20_000) }
        usleep(1_000_000) // the answer is on its way, and the plots the page asks for next
    }

    private func notePagePoll() { lastPagePoll.withLock { $0 = Date().timeIntervalSince1970 } }
    /// Stops the sweep (`POST /api/stop`); nil for a dashboard without a coordinator.
    let stopSweep: (@Sendable () -> Void)?
    /// The study the coordinator of this process runs, once it has one (the dashboard starts
    /// listening before the study exists): the only one `POST /api/stop` stops, and the only
    /// study page that offers it (every page offered it, and stopped this study).
    private let coordinatedStudy = Mutex<String?>(nil)
    /// Whether a `POST /api/stop` stopped the sweep (its dashboard then lingers as after a
    /// finished one, so the page that stopped it sees the end).
    private let stopRequested = Atomic<Bool>(false)

    /// The coordinator of this process runs study `name`.
    public func coordinating(study name: String) { coordinatedStudy.withLock { $0 = name } }

    /// Whether the sweep was stopped from the dashboard.
    public var wasStoppedFromDashboard: Bool { stopRequested.load(ordering: .relaxed) }
    private let trialGauges = Mutex<[String: Gauge]>([:])

    /// A dashboard over `databasePath`; `withCoordinator` adds the coordinator's metrics and
    /// lets `stop` (with the token) end the sweep.
    public init(databasePath: String, options: DashboardOptions, withCoordinator: Bool = false, stop: (@Sendable () -> Void)? = nil) {
        self.options = options
        feed = StudyFeed(databasePath: databasePath)
        registry = PrometheusCollectorRegistry()
        recorder = withCoordinator ? CoordinatorMetricsRecorder(registry: registry) : nil
        stopSweep = stop
    }

    // MARK: Running

    /// How long a connection may send nothing before it is closed, in seconds (pages poll
    /// every few seconds; a long answer being written is not idle).
    static let idleSeconds: Int64 = 30

    /// Serves until the task is cancelled (or SIGINT/SIGTERM when `handleSignals`).
    /// `onListening` gets the bound port once the socket listens.
    public func run(handleSignals: Bool, onListening: @escaping @Sendable (Int) -> Void) async throws {
        let app = Application(
            router: makeRouter(),
            // A connection that sends nothing for this long is closed, also in the middle of
            // a request (one whose body never came, or never-finished headers, was kept open
            // for good: a thousand of them held a thousand connections).
            server: .http1(configuration: .init(idleTimeout: .seconds(Self.idleSeconds))),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: nil),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) },
            logger: { var l = Logger(label: "sweep-dashboard"); l.logLevel = .warning; return l }()
        )
        try await app.runService(gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [])
    }

    /// Starts serving in the background and waits until it listens; returns the port.
    /// Throws if it cannot bind (e.g. the port is taken).
    /// Why listening failed, in words (`address already in use`), not as the socket call
    /// that failed (`bind(descriptor:ptr:bytes:): Address already in use) (errno: 98)`).
    public static func listenFailure(_ error: any Error) -> String {
        let text = "\(error)"
        guard let open = text.range(of: "(errno: "), let number = Int32(text[open.upperBound...].prefix { $0.isNumber }) else { return text }
        return String(cString: strerror(number)).lowercased()
    }

    public func startInBackground(timeout: Double = 30) throws -> Int {
        let state = Mutex<Result<Int, any Error>?>(nil)
        let ready = DispatchSemaphore(value: 0)
        Task.detached { [self] in
            do {
                try await run(handleSignals: false) { port in
                    state.withLock { $0 = .success(port) }
                    ready.signal()
                }
            } catch {
                state.withLock { if $0 == nil { $0 = .failure(error) } }
                ready.signal()
            }
        }
        guard ready.wait(timeout: .now() + timeout) == .success, let result = state.withLock({ $0 }) else {
            throw DashboardError.badOption("the dashboard did not start listening on \(options.host):\(options.port) within \(Int(timeout)) s")
        }
        return try result.get()
    }

    // MARK: Routes

    func makeRouter() -> Router<BasicRequestContext> {
        // HEAD answers as GET without the body (health checks use it; it said 404).
        let router = Router(options: .autoGenerateHeadEndpoints)
        // Middleware first: a route takes the middleware added before it.
        router.add(middleware: LoopbackHostCheck(allowed: options.allowedHosts, beyondLoopback: !DashboardOptions.isLoopback(options.host)))
        router.add(middleware: GzipResponses())
        router.add(middleware: HeapTrim()) // (inside gzip: it sees the answer's own size)
        router.get("/") { _, _ in Self.html(DashboardPages.studies()) }
        router.get("/study") { request, _ in
            guard let name = request.uri.queryParameters["name"] else { return Self.badRequest("which study? /study?name=STUDY") }
            return Self.html(DashboardPages.study(String(name)))
        }
        router.get("/trial") { [feed] request, _ in
            let q = request.uri.queryParameters
            guard let name = q["study"], let given = q["n"] else { return Self.badRequest("which trial? /trial?study=NAME&n=NUMBER (or best, last, -1, -2, ...)") }
            if let n = Int(given), n >= 0 { return Self.html(DashboardPages.trial(String(name), number: n)) }
            // `best`, `last` and `-1`, as `sweep show` takes them: sent on to the trial's number.
            guard ["best", "last"].contains(String(given)) || Int(given) != nil else {
                return Self.badRequest("which trial? n is a number, best, last, or -1, -2, ... counted from the end")
            }
            return await Self.answer {
                guard let n = try feed.trialNumber(String(name), choice: String(given)) else {
                    return Self.notFound("study '\(name)' has no trial \(given)")
                }
                let target = "/trial?study=" + (String(name).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? String(name)) + "&n=\(n)"
                return Response(status: .seeOther, headers: [.location: target, .cacheControl: "no-store"])
            }
        }
        router.get("/compare") { request, _ in
            Self.html(DashboardPages.compare(request.uri.queryParameters[values: "study"].map(String.init)))
        }
        router.get("/assets/dashboard.js") { _, _ in Self.respond(DashboardAssets.script, type: "text/javascript; charset=utf-8") }
        router.get("/assets/dashboard.css") { _, _ in Self.respond(DashboardAssets.css, type: "text/css; charset=utf-8") }
        router.get("/api/studies") { [self, feed] _, _ in
            notePagePoll()
            return try await Self.json { try feed.studies() }
        }
        router.get("/api/study") { [self, feed] request, _ in
            notePagePoll()
            let q = request.uri.queryParameters
            guard let name = q["name"] else { return Self.badRequest("pass ?name=STUDY[&since=CURSOR]") }
            let since = q["since"].map(String.init)
            return try await Self.json(missing: "no study named '\(name)'") { try feed.study(String(name), since: since) }
        }
        router.get("/api/trial") { [feed] request, _ in
            let q = request.uri.queryParameters
            guard let name = q["study"], let given = q["n"].map(String.init) else { return Self.badRequest("pass ?study=NAME&n=NUMBER (or best, last, -1, -2, ...)") }
            // As the page takes it: `best`, `last` and `-1` name a trial too.
            var number = Int(given)
            if number == nil || number! < 0 {
                guard ["best", "last"].contains(given) || number != nil else {
                    return Self.badRequest("which trial? n is a number, best, last, or -1, -2, ... counted from the end")
                }
                do { number = try await Self.offload { try feed.trialNumber(String(name), choice: given) } } catch { return Self.unavailable(error) }
            }
            guard let n = number else { return Self.notFound("study '\(name)' has no trial \(given)") }
            return try await Self.json(missing: "no trial \(n) in a study named '\(name)'") { try feed.trial(String(name), number: n) }
        }
        router.get("/api/figures") { [feed] request, _ in
            guard let name = request.uri.queryParameters["name"] else { return Self.badRequest("pass ?name=STUDY") }
            return await Self.answer {
                try feed.figures(String(name)).map { Self.respond($0, type: "text/html; charset=utf-8") } ?? Self.notFound("no study named \(name)")
            }
        }
        router.get("/metrics") { [self] _, _ in
            return await Self.answer { Self.respond(try self.metricsText(), type: "text/plain; version=0.0.4; charset=utf-8") }
        }
        router.get("/api/coordinator") { [self] _, _ in
            // Which study this process's coordinator runs (null: none, as `sweep dashboard`).
            struct Coordinated: Encodable { var study: String?; var ended: Bool }
            let doc = Coordinated(study: coordinatedStudy.withLock { $0 }, ended: sweepHasEnded.load(ordering: .relaxed))
            let data = try JSONEncoder().encode(doc)
            return Response(status: .ok, headers: Self.headers("application/json"), body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.post("/api/stop") { [self] request, _ in
            if let refusal = authorize(request) { return refusal }
            guard let stopSweep else {
                return Self.respond("this dashboard runs without a coordinator: stop the sweep where it runs\n", type: "text/plain", status: .notImplemented)
            }
            // `?study=NAME` (what the study page sends): only the study this coordinator runs.
            if let asked = request.uri.queryParameters["study"].map(String.init), let running = coordinatedStudy.withLock({ $0 }), asked != running {
                return Self.respond("this dashboard's coordinator runs study '\(running)', not '\(asked)': nothing was stopped\n", type: "text/plain", status: .conflict)
            }
            let ended = sweepHasEnded.load(ordering: .relaxed)
            stopRequested.store(true, ordering: .relaxed)
            stopSweep()
            return Self.respond(ended ? "the sweep has ended; the dashboard stops too\n" : "stopping: running trials finish their epoch and are handed back\n",
                                type: "text/plain", status: .accepted)
        }
        router.post("/api/studies/:name/enqueue") { [self] request, context in
            try await enqueue(request, study: try context.parameters.require("name"))
        }
        // The state changes exist, but not for GET (it said 404, as if there were none).
        for path in ["/api/studies/:name/enqueue", "/api/stop"] {
            router.get(RouterPath(path)) { _, _ in
                var response = Self.respond("use POST (with Authorization: Bearer TOKEN)\n", type: "text/plain; charset=utf-8", status: .methodNotAllowed)
                response.headers[.allow] = "POST"
                return response
            }
        }
        return router
    }

    /// Nil when the request carries the token; else the refusal to send.
    func authorize(_ request: Request) -> Response? {
        guard let token = options.token else {
            return Self.respond("read-only: start the dashboard with a token to allow changes (sweep dashboard --token, or sweep run/resume/coordinator --dashboard-token)\n", type: "text/plain", status: .forbidden)
        }
        // The scheme's name is case-insensitive (RFC 7235): `bearer TOKEN` too.
        let given = request.headers[.authorization] ?? ""
        let credentials = given.lowercased().hasPrefix("bearer ") ? String(given.dropFirst("bearer ".count)) : ""
        guard Self.constantTimeEqual(credentials, token) else {
            return Self.respond("missing or wrong token (send Authorization: Bearer TOKEN)\n", type: "text/plain", status: .unauthorized)
        }
        return nil
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<min(x.count, y.count) { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    /// The Prometheus text: trials by state per study from the database, plus the
    /// coordinator's counters and histograms when it runs in this process.
    func metricsText() throws -> String {
        let studies = try feed.stateCounts()
        trialGauges.withLock { gauges in
            // A study renamed or deleted since leaves: its last counts were served for good
            // (a sum over studies counted a renamed one twice; an alert on a deleted one never
            // cleared).
            let present = Set(studies.map(\.0))
            for (key, gauge) in gauges where !present.contains(String(key.prefix { $0 != "\u{0}" })) {
                registry.unregisterGauge(gauge)
                gauges[key] = nil
            }
            for (study, phase, counts) in studies {
                // An interrupted study's RUNNING trials wait for `sweep resume`: nobody runs
                // them, so they are counted as `interrupted` (an alert on `running` stayed quiet).
                var byLabel = Dictionary(uniqueKeysWithValues: TrialState.allCases.map { ($0.rawValue.lowercased(), Double(counts[$0] ?? 0)) })
                byLabel["interrupted"] = phase == .interrupted ? byLabel["running"] : 0
                if phase == .interrupted { byLabel["running"] = 0 }
                for (label, value) in byLabel {
                    let key = study + "\u{0}" + label
                    if gauges[key] == nil {
                        gauges[key] = registry.makeGauge(name: "sweep_trials", labels: [("study", study), ("state", label)],
                                                         help: "Trials of a study by state, as stored in the database (running trials of an interrupted study: interrupted).")
                    }
                    gauges[key]!.set(value)
                }
            }
        }
        return registry.emitToString()
    }

    // MARK: Responses

    /// Runs blocking database work off the server's event loops.
    static func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in
            DispatchQueue.global().async { c.resume(with: Result { try work() }) }
        }
    }

    static func json(missing: String = "not found", _ make: @escaping @Sendable () throws -> Data?) async throws -> Response {
        let answer: Data?
        do {
            answer = try await offload(make)
        } catch {
            return unavailable(error)
        }
        guard let data = answer else { return notFound(missing) }
        return Response(status: .ok, headers: headers("application/json"), body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Said, not an empty 500: the page shows why (a database removed, or replaced by
    /// something that is not one), and that the dashboard itself answers.
    static func unavailable(_ error: any Error) -> Response {
        respond("cannot read the database: \(error)\n", type: "text/plain; charset=utf-8", status: .serviceUnavailable)
    }

    /// `work`'s answer, or 503 with the reason when the database cannot be read.
    static func answer(_ work: @escaping @Sendable () throws -> Response) async -> Response {
        do { return try await offload(work) } catch { return unavailable(error) }
    }

    static func html(_ s: String) -> Response { respond(s, type: "text/html; charset=utf-8") }

    static func notFound(_ message: String) -> Response { respond(message + "\n", type: "text/plain; charset=utf-8", status: .notFound) }
    /// A request without the parameters it needs, or with one of the wrong kind (`n=abc`).
    static func badRequest(_ message: String) -> Response { respond(message + "\n", type: "text/plain; charset=utf-8", status: .badRequest) }

    static func respond(_ s: String, type: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: headers(type), body: .init(byteBuffer: ByteBuffer(string: s)))
    }

    /// No caching (the data is live), no script but our own, and no framing by another
    /// site (the study page has a token field and Stop buttons: a page that framed it could
    /// trick clicks on them).
    static func headers(_ type: String) -> HTTPFields {
        [.contentType: type, .cacheControl: "no-store",
         .contentSecurityPolicy: "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
         HTTPField.Name("X-Content-Type-Options")!: "nosniff",
         HTTPField.Name("X-Frame-Options")!: "DENY"]
    }
}
