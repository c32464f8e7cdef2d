import Foundation
import JSON

/// One audit event (design.md §7) as it is chained: every column of `audit_events` except `prev_hash`
/// and `hash`, which the chain computes. The gateway's shipper fills it from a spooled event; the
/// control plane reads it back from PostgreSQL to verify the chain. Both sides hash the same value
/// through `AuditChain`, so every field here must survive the trip through its column exactly.
public struct AuditEvent: Sendable, Equatable {
    public var id: UUID
    /// Microseconds since 1970 in UTC: timestamptz's precision, so the value inserted is the value
    /// read back. Insert it exactly: as `AuditChain.timestamp(microseconds:)` text (the shipper's COPY) or
    /// `'epoch'::timestamptz + \(time) * interval '1 microsecond'`.
    public var timeMicroseconds: Int64
    public var accountID: UUID
    /// `request`, or an approval step (design.md §5.6 step 5).
    public var kind: String
    public var identityID: UUID?
    public var identityLabel: String?
    public var grantID: UUID?
    public var serverID: UUID?
    public var sessionDigest: [UInt8]?
    public var protocolVersion: String?
    public var method: String?
    public var jsonrpcID: JSONValue?
    public var tool: String?
    /// `allow` or `deny`.
    public var decision: String
    public var code: String?
    public var rule: String?
    public var message: String?
    public var policyID: UUID?
    public var policyVersion: Int?
    public var snapshotVersion: Int64?
    public var toolDefinitionHash: String?
    public var argumentKeys: [String]?
    public var argumentsHMAC: [UInt8]?
    public var arguments: JSONValue?
    public var result: JSONValue?
    public var unenforcedLimits: [String]?
    public var upstreamStatus: Int?
    public var gatewayLatencyMs: Double?
    public var upstreamLatencyMs: Double?
    public var bytesIn: Int64?
    public var bytesOut: Int64?
    public var workerID: String?
    public var approvalID: UUID?
    /// How the caller authenticated (issue 14 item 6): `grant_token`, `oauth` or `external_issuer`;
    /// nil for events written before, which keep their first chain format (`AuditChain`).
    public var authMethod: String?
    /// The OAuth client the caller is (its client id), for `oauth` and `external_issuer` when known.
    public var authClientID: String?
    /// Position in the account's chain: 1, 2, 3 ... in insertion order.
    public var seq: Int64

    public init(
        id: UUID, timeMicroseconds: Int64, accountID: UUID, kind: String = "request", decision: String, seq: Int64
    ) {
        self.id = id
        self.timeMicroseconds = timeMicroseconds
        self.accountID = accountID
        self.kind = kind
        self.decision = decision
        self.seq = seq
    }

    public var time: Date { Date(timeIntervalSince1970: Double(timeMicroseconds) / 1_000_000) }

    /// `time` at microsecond precision, rounded the way timestamptz stores it.
    public static func microseconds(of date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    /// How deep a stored JSON value may nest when read back: deeper than requests may be, since a
    /// stored value sits one level below where it was parsed (the spool reads with the same bound).
    public static let maxStoredJSONDepth = 4 * JSONParser.defaultMaxDepth
}
