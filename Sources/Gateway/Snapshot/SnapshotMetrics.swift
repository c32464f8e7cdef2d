import Foundation
import Metrics

/// `portcullis_snapshot_version` and `portcullis_snapshot_age_seconds`, without labels: one worker
/// has one snapshot. The age is refreshed on a timer, since it grows while the control plane is away.
struct SnapshotMetrics: Sendable {
    private let version = Gauge(label: "portcullis_snapshot_version")
    private let age = Gauge(label: "portcullis_snapshot_age_seconds")

    /// The age counts from the control plane's last confirmation, or from receipt for a snapshot
    /// read from the file and never confirmed.
    func record(_ store: SnapshotStore, now: Date = Date()) {
        guard let snapshot = store.snapshot else { return }
        version.record(snapshot.version)
        age.record(now.timeIntervalSince(store.confirmedAt ?? snapshot.receivedAt))
    }
}
