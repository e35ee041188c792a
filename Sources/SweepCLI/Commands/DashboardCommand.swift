import ArgumentParser
import Foundation
import Store
import SweepDashboard
import SweepSupport
import Synchronization

/// `sweep dashboard`: a live web view of a database, read-only.
struct DashboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Serve a live web dashboard of the studies in a database.",
        discussion: """
            Pages: the studies; per study its plots updating live (parallel coordinates
            with brushing that filters the trials table, a contour of two parameters, the
            EDF, a timeline of trials per worker, and the plots of `sweep report`); a
            sortable, filterable trials table; a page per trial (every reported metric per
            epoch, parameters, prune reason, attempts); and a comparison of studies.
            /metrics serves trials by state in Prometheus text format.

            The dashboard reads the database through its own read-only connection and
            never blocks a running sweep. It changes nothing unless started with --token,
            and then only for requests that carry the token. It listens on loopback unless
            --bind names another address, which requires --token or --insecure. To see a
            sweep's coordinator metrics too, use `sweep run ... --dashboard`.

            Examples:
              sweep dashboard --db runs/sweep.db
              export SWEEP_DASHBOARD_TOKEN="$(openssl rand -hex 16)"
              sweep dashboard --db runs/sweep.db --bind 0.0.0.0:8080
            (A token given with --token is visible to every user of the host in
            `ps`: the environment variable keeps it private.)
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(help: ArgumentHelp("Address to listen on, HOST:PORT (port 0 picks a free one).", valueName: "host:port"))
    var bind: String = DashboardOptions.defaultBind
    @Option(help: ArgumentHelp("Token (16+ characters) that state changes must carry; default $SWEEP_DASHBOARD_TOKEN.", valueName: "token"))
    var token: String?
    @Flag(help: "Allow listening beyond loopback without a token (trusted networks only).") var insecure = false
    @Option(name: .customLong("allow-host"),
            help: ArgumentHelp("Answer requests for this host name too (besides localhost, and beyond loopback the machine's addresses and name): a reverse proxy's, a DNS alias; repeatable.", valueName: "name"))
    var allowedHosts: [String] = []

    func run() throws {
        if token != nil { StandardStream.error.write("note: \(DashboardFlags.tokenInArgumentsNote)\n") }
        let options: DashboardOptions
        do {
            options = try DashboardOptions(bind: bind, token: token ?? ProcessInfo.processInfo.environment["SWEEP_DASHBOARD_TOKEN"], insecure: insecure)
                .allowing(hosts: allowedHosts)
        } catch let e as DashboardError { throw UsageError(e.description) }
        if FileManager.default.fileExists(atPath: database.path) {
            do {
                _ = try database.reader() // a foreign or damaged database fails here, with exit 2
            } catch StoreError.emptyDatabase {
                // An empty file (a `sweep run` started with it has just created it): waited
                // for as a missing one is (it exited 2, racing the run it was to watch).
                print("\(database.path) holds no study yet: its studies appear once a sweep writes them (sweep run ... --db \(database.path))")
            }
        } else {
            // Started before the sweep, as one often is: its studies appear once it runs.
            // Not in a directory that does not exist, where no sweep can create it (it
            // waited for good).
            let directory = (database.path as NSString).deletingLastPathComponent
            var isDirectory: ObjCBool = false
            if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) || !isDirectory.boolValue {
                throw UsageError("no database at \(database.path), and the directory \(directory) does not exist")
            }
            print("no database at \(database.path) yet: its studies appear once a sweep creates it (sweep run ... --db \(database.path))")
        }
        let server = DashboardServer(databasePath: database.path, options: options)
        let done = DispatchSemaphore(value: 0)
        let failure = Mutex<String?>(nil)
        let path = database.path
        Task.detached {
            do {
                try await server.run(handleSignals: true) { port in
                    print("dashboard of \(path) on http://\(DashboardFlags.urlHost(options.host)):\(port)/ (Ctrl-C stops it)")
                }
            } catch {
                failure.withLock { $0 = "dashboard failed on \(options.host):\(options.port): \(DashboardServer.listenFailure(error))" }
            }
            done.signal()
        }
        done.wait()
        if let message = failure.withLock({ $0 }) { throw CommandFailure(message) }
    }
}

/// `--dashboard [HOST:PORT]` for the commands that run a coordinator.
struct DashboardFlags: ParsableArguments {
    @Option(name: .customLong("dashboard"),
            help: ArgumentHelp("Serve the live dashboard and /metrics from this process (default address \(DashboardOptions.defaultBind)).", valueName: "host:port"))
    var bind: String?
    @Option(help: ArgumentHelp("Token (16+ characters) the dashboard requires to stop the sweep; default $SWEEP_DASHBOARD_TOKEN.", valueName: "token"))
    var dashboardToken: String?
    @Flag(help: "Allow the dashboard beyond loopback without a token (trusted networks only).") var dashboardInsecure = false
    @Option(help: ArgumentHelp("Keep the dashboard and /metrics up this long after the study ends or is stopped from the dashboard, so a scraper sees the final numbers (Ctrl-C ends it).", valueName: "seconds"))
    var dashboardLinger: Double = 0
    @Option(name: .customLong("dashboard-allow-host"),
            help: ArgumentHelp("The dashboard answers requests for this host name too (besides localhost, and beyond loopback the machine's addresses and name): a reverse proxy's, a DNS alias; repeatable.", valueName: "name"))
    var dashboardAllowedHosts: [String] = []

    /// Said when a token comes on the command line: every user of the host reads it in `ps`
    /// (and with it stopped another user's run).
    static let tokenInArgumentsNote = "a token on the command line is visible to every user of this host (ps): set SWEEP_DASHBOARD_TOKEN instead"

    /// The dashboard's options, or nil without `--dashboard`.
    func options() throws -> DashboardOptions? {
        guard let bind else {
            // A dashboard option alone serves nothing: said, not ignored (a token the user
            // thought guarded a dashboard, a linger for a scraper that never had one).
            let given = [dashboardToken != nil ? "--dashboard-token" : nil, dashboardInsecure ? "--dashboard-insecure" : nil,
                         dashboardLinger != 0 ? "--dashboard-linger" : nil, dashboardAllowedHosts.isEmpty ? nil : "--dashboard-allow-host"].compactMap { $0 }
            if let first = given.first { throw UsageError("\(first) needs --dashboard (it serves no dashboard without it)") }
            return nil
        }
        guard dashboardLinger >= 0, dashboardLinger <= 3600 else {
            throw UsageError("--dashboard-linger must be 0 to 3600 seconds, got \(dashboardLinger)")
        }
        if dashboardToken != nil { StandardStream.error.write("note: \(Self.tokenInArgumentsNote)\n") }
        do {
            var options = try DashboardOptions(bind: bind, token: dashboardToken ?? ProcessInfo.processInfo.environment["SWEEP_DASHBOARD_TOKEN"],
                                               insecure: dashboardInsecure, option: "--dashboard")
                .allowing(hosts: dashboardAllowedHosts, option: "--dashboard-allow-host")
            options.linger = dashboardLinger
            return options
        } catch let e as DashboardError { throw UsageError(e.description) }
    }

    /// `--dashboard` may come without an address: the default is filled in before parsing
    /// (ArgumentParser options always take a value).
    static func normalize(_ arguments: [String]) -> [String] {
        var out: [String] = []
        var i = 0
        while i < arguments.count {
            out.append(arguments[i])
            if arguments[i] == "--dashboard" {
                let next = i + 1 < arguments.count ? arguments[i + 1] : nil
                if next.map(looksLikeAddress) != true { out.append(DashboardOptions.defaultBind) }
            }
            i += 1
        }
        return out
    }

    /// `HOST:PORT`, `:PORT` or `PORT`.
    static func looksLikeAddress(_ s: String) -> Bool {
        guard !s.hasPrefix("-") else { return false }
        let port = s.split(separator: ":", omittingEmptySubsequences: false).last.map(String.init) ?? s
        return Int(port) != nil
    }

    /// The host as it goes into a URL (IPv6 in brackets).
    static func urlHost(_ host: String) -> String { host.contains(":") ? "[\(host)]" : host }
}
