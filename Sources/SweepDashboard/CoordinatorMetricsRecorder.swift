import Cluster
import Foundation
import Prometheus
import Synchronization

/// Keeps the coordinator's counters and latency histograms for `/metrics` (Prometheus).
///
/// Called on the coordinator's thread once per batch: only atomic counter and histogram
/// updates and one short lock, never I/O.
public final class CoordinatorMetricsRecorder: CoordinatorMetricsSink {
    let registry: PrometheusCollectorRegistry
    private let messages: Counter
    private let reports: Counter
    private let workers: Gauge
    private let reportsPerSecond: Gauge
    private let roundTrip: ValueHistogram
    private let commit: ValueHistogram
    private let held: ValueHistogram
    /// Reports per whole second over the last `window` seconds, for `sweep_reports_per_second`.
    private let recent = Mutex<[(second: Int, count: Int)]>([])
    static let window = 10

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        let latency: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
        messages = registry.makeCounter(name: "sweep_coordinator_messages_total", help: "Worker messages the coordinator handled.")
        reports = registry.makeCounter(name: "sweep_reports_total", help: "Epoch reports the coordinator handled.")
        workers = registry.makeGauge(name: "sweep_workers_alive", help: "Workers connected to the coordinator.")
        reportsPerSecond = registry.makeGauge(name: "sweep_reports_per_second", help: "Epoch reports per second over the last 10 seconds.")
        roundTrip = registry.makeValueHistogram(name: "sweep_report_round_trip_seconds", buckets: latency,
                                                help: "From reading a report to sending its decision, in seconds.")
        commit = registry.makeValueHistogram(name: "sweep_db_commit_seconds", buckets: latency,
                                             help: "Duration of the coordinator's database transaction per batch, in seconds.")
        held = registry.makeValueHistogram(name: "sweep_gathered_batch_held_seconds", buckets: latency,
                                           help: "How long a batch of outcomes nobody waited for was held to be committed together, in seconds.")
    }

    public func batchHandled(messages n: Int, reports r: Int, heldSeconds: Double, commitSeconds: Double, roundTripSeconds: Double, workersAlive: Int) {
        messages.increment(by: Int64(n))
        workers.set(Double(workersAlive))
        commit.record(commitSeconds)
        if heldSeconds > 0 { held.record(heldSeconds) }
        guard r > 0 else { return }
        reports.increment(by: Int64(r))
        for _ in 0..<r { roundTrip.record(roundTripSeconds) }
        let now = Int(Date().timeIntervalSince1970)
        let rate = recent.withLock { buckets -> Double in
            if buckets.last?.second == now { buckets[buckets.count - 1].count += r } else { buckets.append((now, r)) }
            buckets.removeAll { $0.second <= now - Self.window }
            return Double(buckets.reduce(0) { $0 + $1.count }) / Double(Self.window)
        }
        reportsPerSecond.set(rate)
    }

    /// The coordinator has returned: no worker is connected and nothing is reported any more
    /// (the gauges kept their last values while `--dashboard-linger` kept /metrics up).
    public func sweepEnded() {
        workers.set(0.0)
        recent.withLock { $0.removeAll() }
        reportsPerSecond.set(0.0)
    }
}
