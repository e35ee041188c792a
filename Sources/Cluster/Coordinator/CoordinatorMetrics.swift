/// Where a coordinator reports what operators watch (`/metrics` of `sweep dashboard`).
///
/// The poll loop calls it once per handled batch, on the coordinator's thread, after the
/// replies went out: implementations must be cheap and must not block (counters and
/// histograms, no I/O).
public protocol CoordinatorMetricsSink: AnyObject, Sendable {
    /// One batch was handled: `reports` epoch reports among `messages`, held `heldSeconds`
    /// to gather more (0: handled as read, see ``CoordinatorOptions/gatherSeconds``), its
    /// transaction took `commitSeconds`, and from reading the batch to sending the last
    /// reply took `roundTripSeconds`; `workersAlive` workers are connected.
    func batchHandled(messages: Int, reports: Int, heldSeconds: Double, commitSeconds: Double, roundTripSeconds: Double, workersAlive: Int)
}
