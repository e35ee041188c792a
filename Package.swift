// swift-tools-version:6.1
import PackageDescription

/// Sweep: a distributed hyperparameter search system.
///
/// Module layout (one job each, see docs/architecture.md):
/// - `SweepSupport`: what several modules share and none owns (logging, standard streams,
///   shell quoting, file stamps, loopback hosts, the version string; docs/architecture.md).
/// - `Randomness`: the seeded generator every random choice goes through.
/// - `JSONValue`: a small, fast JSON reader and writer for the wire and stored columns.
/// - `Training`: the training core (dense nets, optimizers, schedules, data sets).
/// - `Search`: search spaces, samplers and pruners; pure and deterministic.
/// - `Store`: the SQLite schema, migrations, reads and writes (GRDB).
/// - `ZeroMQ`: a small typed wrapper over libzmq.
/// - `SweepFile`: YAML sweep and trial files, with file/line/field errors.
/// - `Cluster`: wire protocol, coordinator and worker.
/// - `SweepReport`: the HTML/SVG report of a study (used by `sweep report` and the dashboard).
/// - `SweepDashboard`: the live web dashboard and `/metrics` (Hummingbird, Prometheus).
/// - `SweepCLI`: the `sweep` command line; `sweep` is its thin executable.
let package = Package(
    name: "Sweep",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sweep", targets: ["sweep"]),
        .executable(name: "sweep-bench", targets: ["SweepBench"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Search", targets: ["Search"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Already required by Hummingbird; named for the types the dashboard uses directly.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // C libraries from Debian packages.
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // No pkgConfig: Debian's libzmq.pc adds flags that SwiftPM rejects.
        .systemLibrary(
            name: "CZeroMQ",
            providers: [.apt(["libzmq3-dev"])]
        ),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),

        .target(name: "SweepSupport", dependencies: ["CSupport"]),
        .target(name: "Randomness"),
        .target(name: "JSONValue"),
        // A few lines of C for what Swift cannot call directly (prctl is variadic).
        .target(name: "CSupport"),

        .target(name: "Training", dependencies: ["COpenBLAS", "CZlib", "Randomness", "CSupport", "SweepSupport"]),
        .target(name: "Search", dependencies: ["Randomness"]),
        .target(name: "Store", dependencies: ["Search", "JSONValue", "SweepSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ"]),
        .target(name: "SweepFile", dependencies: ["Training", "Search", "Randomness", "SweepSupport", "Yams"]),
        .target(name: "Cluster", dependencies: ["Training", "Search", "Store", "ZeroMQ", "SweepFile", "Randomness", "JSONValue", "CSupport", "SweepSupport"]),
        .target(name: "SweepReport", dependencies: ["Search", "Store"]),
        .target(
            name: "SweepDashboard",
            dependencies: [
                "SweepReport", "Search", "Store", "Cluster", "SweepFile", "SweepSupport", "JSONValue", "CZlib", "CSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "SweepCLI",
            dependencies: [
                "Training", "Search", "Store", "SweepFile", "Cluster", "CSupport", "SweepReport", "SweepDashboard", "SweepSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "sweep", dependencies: ["SweepCLI"]),
        .executableTarget(
            name: "SweepBench",
            dependencies: [
                "Training", "Search", "Store", "SweepFile", "Cluster", "ZeroMQ", "SweepSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // What the tests share: finding and running the `sweep` binary, processes with
        // timeouts, scratch directories, waiting for a study (like ArgumentParserTestHelpers).
        .target(name: "SweepTestSupport", dependencies: ["Store"]),

        .testTarget(name: "TrainingTests", dependencies: ["Training", "CZlib", "SweepTestSupport"]),
        .testTarget(name: "SearchTests", dependencies: ["Search"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "Search", "SweepSupport", "SweepTestSupport"]),
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ"]),
        .testTarget(name: "JSONValueTests", dependencies: ["JSONValue"]),
        .testTarget(name: "RandomnessTests", dependencies: ["Randomness"]),
        .testTarget(name: "SweepFileTests", dependencies: ["SweepFile", "Training", "Search"]),
        .testTarget(name: "ClusterTests", dependencies: ["Cluster", "Store", "Search", "Training", "ZeroMQ", "SweepFile", "SweepSupport", "JSONValue"]),
        .testTarget(name: "EndToEndTests", dependencies: ["Store", "Search", "ZeroMQ", "Training", "SweepFile", "SweepTestSupport"]),
        // `sweep report`, `compare`, the live display and `sweep dashboard`: in Chromium, tmux and in-process.
        .testTarget(name: "ReportTests", dependencies: ["SweepCLI", "SweepReport", "SweepDashboard", "Store", "Search", "Randomness", "CZlib", "SweepTestSupport"],
                    exclude: ["cdp_driver.py"]), // run by the Chromium tests from the source tree
    ],
    swiftLanguageModes: [.v6]
)
