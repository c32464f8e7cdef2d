import Foundation
import TestSupport

/// One `gateway serve` child of a benchmark, with its own audit spool folder.
struct GatewayWorker: Sendable {
    let server: RunningServer
    let spoolFolder: String
    /// What it was started with beyond the common arguments, to restart it alike.
    let arguments: [String]

    var pid: pid_t { server.process.pid }
}

/// Starts gateway workers on a benchmark's control plane and database: the common arguments
/// (database, keys, SSRF ranges, control plane, worker token) plus each worker's own.
struct WorkerLauncher: Sendable {
    let arguments: [String]
    let spoolParent: String

    /// A new worker of `binary` (a file of the release folder); on `spoolFolder` when given (a
    /// restart after `kill -9` ships what the killed one left there), else on a new folder under `spoolParent`.
    func start(_ own: [String], spoolFolder: String? = nil, binary: String = "gateway") async throws -> GatewayWorker {
        let folder = spoolFolder ?? URL(fileURLWithPath: spoolParent).appendingPathComponent("portcullis-bench-spool-\(UUID().uuidString)").path
        if spoolFolder == nil { BenchmarkStack.temporaryFolders.withLockedValue { $0.append(folder) } }
        let server = try await BenchmarkStack.startChild(binary, arguments + ["--audit-spool-dir", folder] + own)
        return GatewayWorker(server: server, spoolFolder: folder, arguments: own)
    }
}
