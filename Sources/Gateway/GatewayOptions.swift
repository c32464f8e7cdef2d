import ArgumentParser
import Foundation
import Shared

/// Settings of a gateway worker beyond `CommonOptions`; each help text names its environment variable.
struct GatewayOptions: ParsableArguments {
    @Option(help: "Address to listen on. Env: PORTCULLIS_HOST.")
    var host: String = EnvironmentVariables.string("PORTCULLIS_HOST") ?? "127.0.0.1"

    @Option(help: "Port to listen on. Env: PORTCULLIS_PORT.")
    var port: Int = EnvironmentVariables.int("PORTCULLIS_PORT") ?? 8081

    @Option(help: "Base URL of the control plane, where snapshots come from. Env: PORTCULLIS_CONTROL_PLANE_URL.")
    var controlPlaneURL: String = EnvironmentVariables.string("PORTCULLIS_CONTROL_PLANE_URL") ?? "http://127.0.0.1:8080"

    @Option(name: .customLong("worker-token"), help: "Worker token (pcs_wk_...) presented to the control plane. Env: PORTCULLIS_WORKER_TOKEN.")
    var workerTokenFlag: String?
    var workerToken: String? { workerTokenFlag ?? EnvironmentVariables.string("PORTCULLIS_WORKER_TOKEN") }

    @Option(name: .customLong("snapshot-file"), help: "File keeping the last good policy snapshot, loaded at start when the control plane is unreachable (default: none). Env: PORTCULLIS_SNAPSHOT_FILE.")
    var snapshotFileFlag: String?
    var snapshotFile: String? { snapshotFileFlag ?? EnvironmentVariables.string("PORTCULLIS_SNAPSHOT_FILE") }

    @Option(help: "Where rate-limit counters live: postgres (shared by all workers) or memory (one worker, no database). Env: PORTCULLIS_COUNTERS.")
    var counters: CounterStoreKind = EnvironmentVariables.string("PORTCULLIS_COUNTERS").flatMap(CounterStoreKind.init(rawValue:)) ?? .postgres

    @Option(help: "Folder of the local audit spool (events wait here until shipped to PostgreSQL). Env: PORTCULLIS_AUDIT_SPOOL_DIR.")
    var auditSpoolDir: String = EnvironmentVariables.string("PORTCULLIS_AUDIT_SPOOL_DIR") ?? "./data/spool"

    @Option(help: "Identity of this worker in audit rows and heartbeats (default: host name and process id). Env: PORTCULLIS_WORKER_ID.")
    var workerID: String = EnvironmentVariables.string("PORTCULLIS_WORKER_ID")
        ?? "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
}

enum CounterStoreKind: String, ExpressibleByArgument, CaseIterable, Sendable {
    case postgres, memory
}
