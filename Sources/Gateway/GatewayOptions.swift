import ArgumentParser
import Foundation
import NIOCore
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

    @Option(help: "Seconds after which the snapshot file is too old to serve from: revocations made since would come back (0: no maximum). Env: PORTCULLIS_SNAPSHOT_FILE_MAX_AGE.")
    var snapshotFileMaxAge: Int = EnvironmentVariables.int("PORTCULLIS_SNAPSHOT_FILE_MAX_AGE") ?? 86_400

    @Option(help: "Where rate-limit counters live: postgres (shared by all workers) or memory (one worker, no database). Env: PORTCULLIS_COUNTERS.")
    var counters: CounterStoreKind = EnvironmentVariables.string("PORTCULLIS_COUNTERS").flatMap(CounterStoreKind.init(rawValue:)) ?? .postgres

    /// Absolute, so where events wait never depends on the directory a worker was started from
    /// (issue 10 item 6).
    static let defaultAuditSpoolDir = "/var/lib/portcullis/spool"

    @Option(help: "Folder of the local audit spool (events wait here until shipped to PostgreSQL), locked by one worker: give each worker its own. Env: PORTCULLIS_AUDIT_SPOOL_DIR.")
    var auditSpoolDir: String = EnvironmentVariables.string("PORTCULLIS_AUDIT_SPOOL_DIR") ?? GatewayOptions.defaultAuditSpoolDir

    @Option(help: "Size limit of the audit spool in bytes: past it the worker answers 503 instead of dropping events. Env: PORTCULLIS_AUDIT_SPOOL_MAX_BYTES.")
    var auditSpoolMaxBytes: Int = EnvironmentVariables.int("PORTCULLIS_AUDIT_SPOOL_MAX_BYTES") ?? 1 << 30

    @Option(help: "What an audit event's append waits for before the call is forwarded or answered: process (written to the spool file: kill -9 of the worker loses nothing, a machine crash at most the last --audit-sync-interval) or machine (fdatasync'd to stable storage, shared by concurrent calls; costs a disk sync per call). Env: PORTCULLIS_AUDIT_DURABILITY.")
    var auditDurability: AuditDurability = EnvironmentVariables.string("PORTCULLIS_AUDIT_DURABILITY").flatMap(AuditDurability.init(rawValue:)) ?? .process

    @Option(help: "Milliseconds after which written audit events are fdatasync'd in the background, bounding what a machine crash could lose with --audit-durability process (0: sync after every write). Env: PORTCULLIS_AUDIT_SYNC_INTERVAL.")
    var auditSyncInterval: Int = EnvironmentVariables.int("PORTCULLIS_AUDIT_SYNC_INTERVAL") ?? 10

    // 15 s fits the 25 s Kubernetes leaves after the preStop sleep (deploy/kubernetes:
    // terminationGracePeriodSeconds 45, preStop 20 s), with room for the server's own stop.
    @Option(help: "Seconds a stopping worker (SIGTERM) keeps shipping its audit spool to PostgreSQL once it has stopped taking requests, until the spool is empty; what is left after it waits in the spool for the next process that opens it (0: stop at once). Env: PORTCULLIS_SHUTDOWN_DRAIN_TIMEOUT.")
    var shutdownDrainTimeout: Int = EnvironmentVariables.int("PORTCULLIS_SHUTDOWN_DRAIN_TIMEOUT") ?? 15

    @Option(help: "Seconds between hand-backs of the heap's free pages to the system (malloc_trim), so the worker's memory levels off after bursts (0: never). Env: PORTCULLIS_HEAP_TRIM_INTERVAL.")
    var heapTrimInterval: Int = EnvironmentVariables.int("PORTCULLIS_HEAP_TRIM_INTERVAL") ?? 10

    @Option(help: "Largest request body in bytes; larger bodies get 413. Env: PORTCULLIS_MAX_BODY_BYTES.")
    var maxBodyBytes: Int = EnvironmentVariables.int("PORTCULLIS_MAX_BODY_BYTES") ?? 4 << 20

    @Option(help: "Largest upstream SSE event (or JSON answer the gateway rewrites) in bytes; a larger one is cut with an error. Env: PORTCULLIS_MAX_EVENT_BYTES.")
    var maxEventBytes: Int = EnvironmentVariables.int("PORTCULLIS_MAX_EVENT_BYTES") ?? 8 << 20

    @Option(help: "Threads that parse and rewrite upstream answers over 64 KiB (large tools/list answers), at a low CPU priority; each account has one answer in work at a time. Env: PORTCULLIS_ANSWER_REWRITE_THREADS.")
    var answerRewriteThreads: Int = EnvironmentVariables.int("PORTCULLIS_ANSWER_REWRITE_THREADS") ?? System.coreCount

    @Option(help: "Nice value (0-19) of those threads: 19, the lowest priority, lets every account's calls go first. Env: PORTCULLIS_ANSWER_REWRITE_NICENESS.")
    var answerRewriteNiceness: Int = EnvironmentVariables.int("PORTCULLIS_ANSWER_REWRITE_NICENESS") ?? Int(AnswerRewritePool.defaultNiceness)

    @Option(help: "Most messages in one JSON-RPC batch (MCP 2025-03-26); a larger batch gets -32600. Env: PORTCULLIS_MAX_BATCH_SIZE.")
    var maxBatchSize: Int = EnvironmentVariables.int("PORTCULLIS_MAX_BATCH_SIZE") ?? 100

    @Option(help: "Requests of one account this worker works on at once (reading, judging, recording, carrying the answer back); its others wait their turn, and waiting for the upstream or for an approval does not count. Env: PORTCULLIS_ACCOUNT_WORKING_REQUESTS.")
    var accountWorkingRequests: Int = EnvironmentVariables.int("PORTCULLIS_ACCOUNT_WORKING_REQUESTS") ?? AccountAdmission.Limits().working

    @Option(help: "Requests of one account open on this worker at once, in any state; beyond it 429 with Retry-After. Env: PORTCULLIS_ACCOUNT_OPEN_REQUESTS.")
    var accountOpenRequests: Int = EnvironmentVariables.int("PORTCULLIS_ACCOUNT_OPEN_REQUESTS") ?? AccountAdmission.Limits().open

    @Option(help: "Calls of one account held for approval on this worker at once; beyond it a call is answered approval_pending at once. Env: PORTCULLIS_ACCOUNT_HELD_CALLS.")
    var accountHeldCalls: Int = EnvironmentVariables.int("PORTCULLIS_ACCOUNT_HELD_CALLS") ?? AccountAdmission.Limits().held

    @Option(help: "Most pooled upstream HTTP clients a worker keeps, one per (connect timeout, idle timeout, upstream host, event loop); beyond it the least recently used closes once its streams end. Env: PORTCULLIS_MAX_UPSTREAM_CLIENTS.")
    var maxUpstreamClients: Int = EnvironmentVariables.int("PORTCULLIS_MAX_UPSTREAM_CLIENTS") ?? UpstreamClient.defaultClientLimit

    @Option(help: "Seconds a client has to send a request body. Env: PORTCULLIS_BODY_READ_TIMEOUT.")
    var bodyReadTimeout: Int = EnvironmentVariables.int("PORTCULLIS_BODY_READ_TIMEOUT") ?? 30

    @Option(help: "Seconds a connection may stay idle (also bounds how long a client may take to send its headers). Env: PORTCULLIS_IDLE_TIMEOUT.")
    var idleTimeout: Int = EnvironmentVariables.int("PORTCULLIS_IDLE_TIMEOUT") ?? 75

    @Option(help: "Browser origin allowed to call the MCP endpoint (repeatable); a request with any other Origin gets 403. Env: PORTCULLIS_ALLOWED_ORIGINS (comma-separated).")
    var allowedOrigin: [String] = EnvironmentVariables.list("PORTCULLIS_ALLOWED_ORIGINS")

    @Option(help: "Seconds between keep-alives (SSE comment, progress notification) while a call is held for approval. Env: PORTCULLIS_APPROVAL_KEEPALIVE.")
    var approvalKeepAlive: Int = EnvironmentVariables.int("PORTCULLIS_APPROVAL_KEEPALIVE") ?? 10

    @Option(help: "New approval requests a grant may make per minute (a reused pending request does not count); beyond it the call is denied rate_limited. Env: PORTCULLIS_APPROVAL_REQUESTS_PER_MINUTE.")
    var approvalRequestsPerMinute: Int = EnvironmentVariables.int("PORTCULLIS_APPROVAL_REQUESTS_PER_MINUTE") ?? 10

    @Option(help: "URL clients reach the gateway at (behind a proxy: the public one): a server's OAuth resource URL, which its access tokens must name as audience, is this URL followed by /mcp/<server id>. Env: PORTCULLIS_PUBLIC_GATEWAY_URL.")
    var publicGatewayURL: String = EnvironmentVariables.string("PORTCULLIS_PUBLIC_GATEWAY_URL") ?? "http://127.0.0.1:8081"

    // The host name, not host name and process id: a restarted worker (a pod keeps its name, a
    // systemd unit its host) keeps its identity and heartbeat row, and `--help` shows the value
    // this machine would use instead of a placeholder.
    @Option(help: "Identity of this worker in audit rows and heartbeats; workers sharing a host need their own. Env: PORTCULLIS_WORKER_ID.")
    var workerID: String = EnvironmentVariables.string("PORTCULLIS_WORKER_ID") ?? ProcessInfo.processInfo.hostName
}

extension GatewayOptions {
    /// An absolute http(s) URL without query or fragment: resource URLs are built by appending to it.
    func validatedPublicGatewayURL() throws -> String {
        guard let url = URL(string: publicGatewayURL), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              url.host?.isEmpty == false, url.query == nil, url.fragment == nil
        else { throw ConfigurationError("--public-gateway-url must be an http or https URL without query or fragment") }
        return publicGatewayURL
    }
}

enum CounterStoreKind: String, ExpressibleByArgument, CaseIterable, Sendable {
    case postgres, memory
}

extension AuditDurability: ExpressibleByArgument {}
