import JSON

/// Who shares a counter (design.md §4): one bucket per grant, identity, server, account or session.
public enum CounterScope: String, Sendable, CaseIterable {
    case grant, identity, server, account, session
}

/// What happens when the counter store cannot be reached (design.md §5.5).
public enum CounterFailMode: String, Sendable, CaseIterable {
    /// Deny the call with a clear message (the default).
    case closed
    /// Allow it, and the audit row says the limit was not enforced.
    case open
}

/// A compiled `limits` entry. A class, immutable, so a counter reservation can point at its limit
/// instead of copying each field on every planned call.
public final class PolicyLimit: Sendable {
    public let counter: String
    public let window: CounterWindow
    /// Limits are numbers, not only integers, so value quotas (`increment_from`) can be fractional.
    public let max: Double
    public let scope: CounterScope
    /// Counts this argument's value (a non-negative number) instead of 1.
    public let incrementFrom: PolicyPath?
    public let onDeny: String?
    public let fail: CounterFailMode
    public let pointer: String

    init(counter: String, window: CounterWindow, max: Double, scope: CounterScope, incrementFrom: PolicyPath?,
         onDeny: String?, fail: CounterFailMode, pointer: String) {
        self.counter = counter
        self.window = window
        self.max = max
        self.scope = scope
        self.incrementFrom = incrementFrom
        self.onDeny = onDeny
        self.fail = fail
        self.pointer = pointer
    }
}

/// The ids a call's counters are keyed by. Every key includes the account, so no counter is ever
/// shared between tenants (design.md §2).
public struct CounterOwner: Sendable, Equatable {
    public var accountID: String
    public var grantID: String
    public var identityID: String
    public var serverID: String

    public init(accountID: String, grantID: String, identityID: String, serverID: String) {
        self.accountID = accountID
        self.grantID = grantID
        self.identityID = identityID
        self.serverID = serverID
    }
}
