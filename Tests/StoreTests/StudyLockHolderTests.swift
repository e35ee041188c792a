import Store
import Testing

/// The endpoint a lock file names, for `status` and the "add workers" hints.
@Suite struct StudyLockHolderTests {
    @Test func theEndpointRunsToTheEndOfTheLine() {
        #expect(StudyLockHolder.endpoint(in: "pid 12 on vm, listening on tcp://10.0.0.5:5555") == "tcp://10.0.0.5:5555")
        // An ipc path in a TMPDIR with a space (it was cut at the space).
        #expect(StudyLockHolder.endpoint(in: "pid 12 on vm, listening on ipc:///tmp/my dir/sweep-abc/coordinator.sock\nmore")
                == "ipc:///tmp/my dir/sweep-abc/coordinator.sock")
        #expect(StudyLockHolder.endpoint(in: "pid 12 on vm") == nil)
    }
}
