import Foundation
import Metrics

/// `portcullis_snapshot_version` and `portcullis_snapshot_age_seconds`, without labels: one worker
/// has one snapshot. The age is refreshed on a timer, since it grows while the control plane is away.
/// `portcullis_policy_compilations_total` counts policy documents compiled (reused ones are not),
/// `portcullis_policy_compile_failures_total` those that did not compile and deny their grants.
struct SnapshotMetrics: Sendable {
    private let version = Gauge(label: "portcullis_snapshot_version")
    private let age = Gauge(label: "portcullis_snapshot_age_seconds")
    private let compilations = Counter(label: "portcullis_policy_compilations_total")
    private let compileFailures = Counter(label: "portcullis_policy_compile_failures_total")

    func recordCompilations(_ count: Int, failures: Int) {
        compilations.increment(by: count)
        compileFailures.increment(by: failures)
    }

    /// The age counts from the control plane's last confirmation, or from receipt for a snapshot
    /// read from the file and never confirmed.
    func record(_ store: SnapshotStore, now: Date = Date()) {
        guard let snapshot = store.snapshot else { return }
        version.record(snapshot.version)
        age.record(now.timeIntervalSince(store.confirmedAt ?? snapshot.receivedAt))
    }
}
