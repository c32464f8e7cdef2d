/// What an audit event's append waits for before the call goes on (`--audit-durability`, issue 11
/// item 2). Either way it is appended before an allowed call is forwarded or a denial answered.
enum AuditDurability: String, CaseIterable, Sendable {
    /// Written to the spool file, in the kernel's page cache: a `kill -9` of the worker loses
    /// nothing (design.md §7), and a background `fdatasync` every `--audit-sync-interval` bounds what a
    /// machine crash (power, kernel) could lose. The default: see docs/gateway.md, "Audit durability".
    case process
    /// Synced to stable storage (`fdatasync`, shared by the appends queued meanwhile): nothing
    /// answered is lost even to a machine crash, at the disk's sync latency per call.
    case machine

    var appendWaitsFor: AuditSpoolWriter.Wait {
        switch self {
        case .process: .written
        case .machine: .synced
        }
    }
}
