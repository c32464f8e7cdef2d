import Foundation
import JSON
import Shared

/// What the approval webhook tells a receiver about a new approval request (design.md §5.6 step 2):
/// who asked for which tool and until when, enough to find the request in the API and console.
///
/// The arguments themselves stay out: they can hold secrets, and a webhook receiver (a chat
/// channel, a ticketing system) is a wider audience than the console. `arguments_hash` is the
/// approval's fingerprint as `GET /v1/approvals/{id}` shows it, so two notices for the same call
/// can be told apart from different calls.
struct ApprovalWebhookNotice: Sendable, Equatable {
    let approvalID: UUID
    let accountID: UUID
    let grantID: UUID
    let identityID: UUID
    let identityLabel: String?
    let serverID: UUID
    let serverName: String?
    let tool: String
    /// The approval's `arguments_hash` (the `ApprovalFingerprint` of the call).
    let argumentsHash: [UInt8]
    /// The policy rule that asked for approval, if the decision named one.
    let rule: String?
    let expiresAt: Date

    init(
        approvalID: UUID, accountID: UUID, grantID: UUID, identityID: UUID, identityLabel: String?,
        serverID: UUID, serverName: String?, tool: String, argumentsHash: [UInt8], rule: String?, expiresAt: Date
    ) {
        self.approvalID = approvalID
        self.accountID = accountID
        self.grantID = grantID
        self.identityID = identityID
        self.identityLabel = identityLabel
        self.serverID = serverID
        self.serverName = serverName
        self.tool = tool
        self.argumentsHash = argumentsHash
        self.rule = rule
        self.expiresAt = expiresAt
    }

    /// For the request `ApprovalLedger.request` just created for `caller`'s call.
    init(pending: PendingApproval, key: ApprovalCallKey, caller: AuthenticatedGrant, rule: String?) {
        self.init(
            approvalID: pending.id, accountID: key.account, grantID: key.grant, identityID: caller.identity.id,
            identityLabel: caller.identity.label, serverID: caller.server.id, serverName: caller.server.name, tool: key.tool,
            argumentsHash: key.argumentsHash, rule: rule, expiresAt: pending.expiresAt
        )
    }

    static let type = "approval.requested"

    /// The JSON body, member order fixed, timestamps as the admin API writes them.
    func body(requestedAt: Date) -> [UInt8] {
        let value: JSONValue = [
            "type": .string(Self.type),
            "approval_id": .string(approvalID.uuidString.lowercased()),
            "account_id": .string(accountID.uuidString.lowercased()),
            "grant_id": .string(grantID.uuidString.lowercased()),
            "identity_id": .string(identityID.uuidString.lowercased()),
            "identity_label": identityLabel.map(JSONValue.string) ?? .null,
            "server_id": .string(serverID.uuidString.lowercased()),
            "server_name": serverName.map(JSONValue.string) ?? .null,
            "tool": .string(tool),
            "arguments_hash": .string(argumentsHash.lowercaseHex),
            "rule": rule.map(JSONValue.string) ?? .null,
            "requested_at": .string(Self.timestamp(requestedAt)),
            "expires_at": .string(Self.timestamp(expiresAt)),
        ]
        return value.serializedBytes()
    }

    /// RFC 3339 in UTC with milliseconds, like every timestamp of the admin API.
    private static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
