import Shared

/// The problem for an insert that a per-account bound of migration 0005 refused (issue 10 item
/// 15). The trigger's message is ours (`account limit reached: servers (100)`), so it is safe to
/// show; nothing else of a database error ever is.
enum AccountLimitError {
    private static let marker = "account limit reached: "

    /// The 409 for `error`, or nil when it is not a refused bound.
    static func problem(for error: DatabaseError) -> ProblemError? {
        guard error.sqlState == .programLimitExceeded, let start = error.detail.range(of: marker) else { return nil }
        let limit = error.detail[start.upperBound...].prefix { $0 != "\n" }
        return .limitReached("This account has reached its limit: \(limit). Remove something first, or ask the operator to raise the limit.")
    }
}
