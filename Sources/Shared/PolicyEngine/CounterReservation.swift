import JSON

/// One counter the gateway must reserve before forwarding a call: the key parts, the amount, and
/// what to answer if the window is exhausted. The engine only plans; the gateway's counter store
/// reserves all of a call's reservations atomically and releases them all on any failure.
public struct CounterReservation: Sendable, Equatable {
    /// The limit this reservation is for; its fields are exposed below.
    public let limit: PolicyLimit
    public let accountID: String
    /// The grant, identity, server, account or session id the scope names.
    public let scopeID: String
    public let windowStart: PolicyTime
    public let amount: Double

    public var counter: String { limit.counter }
    public var scope: CounterScope { limit.scope }
    public var window: CounterWindow { limit.window }
    public var windowEnd: PolicyTime { window.end(containing: windowStart) }
    public var max: Double { limit.max }
    public var fail: CounterFailMode { limit.fail }
    /// The limit's JSON Pointer, e.g. `/tools/stop-pod/limits/0`.
    public var rule: String { limit.pointer }
    public var onDeny: String? { limit.onDeny }

    public static func == (lhs: CounterReservation, rhs: CounterReservation) -> Bool {
        lhs.limit === rhs.limit && lhs.accountID == rhs.accountID && lhs.scopeID == rhs.scopeID
            && lhs.windowStart == rhs.windowStart && lhs.amount == rhs.amount
    }

    /// One string naming the bucket: limits with the same counter name and scope build the same
    /// key for the same owner and window, which is how they share it across tools (design.md §4).
    public var storageKey: String {
        "\(accountID)|\(scope.rawValue)|\(scopeID)|\(counter)|\(window.rawValue)|\(windowStart.millisecondsSince1970)"
    }

    /// The answer when the store says the window is full.
    public func exhaustedDenial(now: PolicyTime) -> PolicyDenial {
        let retry = window.secondsUntilReset(from: now)
        return PolicyDenial(
            code: .rateLimited, rule: rule,
            message: onDeny ?? PolicyMessages.rateLimited(max: max, window: window, counter: counter, retryAfterSeconds: retry),
            retryAfterSeconds: retry)
    }

    /// The answer under `fail: closed` when the counter store is unreachable (design.md §5.5).
    public func storeUnavailableDenial() -> PolicyDenial {
        PolicyDenial(code: .rateLimited, rule: rule, message: PolicyMessages.counterStoreUnavailable(counter: counter))
    }
}

extension PolicyLimit {
    /// Plans this limit for a call, or returns the denial when `increment_from` names an argument
    /// that is missing or not a non-negative number: counting it as 0 would let a caller skip the
    /// quota by leaving the argument out.
    func reservation(for call: PolicyCall, now: PolicyTime) -> Result<CounterReservation, PolicyDenial> {
        var amount = 1.0
        if let path = incrementFrom {
            guard case .number(let number)? = path.resolve(in: call), number.doubleValue >= 0, number.doubleValue.isFinite else {
                return .failure(PolicyDenial(
                    code: .requireFailed, rule: pointer,
                    message: PolicyMessages.badIncrement(path: path.description, counter: counter)))
            }
            amount = number.doubleValue
        }
        let scopeID: String = switch scope {
        case .grant: call.owner.grantID
        case .identity: call.owner.identityID
        case .server: call.owner.serverID
        case .account: call.owner.accountID
        // Protocol eras without sessions (MCP 2026-07-28) share one bucket per grant instead.
        case .session: call.sessionID.map { "session:" + $0 } ?? "grant:" + call.owner.grantID
        }
        return .success(CounterReservation(
            limit: self, accountID: call.owner.accountID, scopeID: scopeID, windowStart: window.start(containing: now), amount: amount))
    }
}
