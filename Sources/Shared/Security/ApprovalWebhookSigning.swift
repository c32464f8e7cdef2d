import Crypto
import Foundation

/// The secret an account's approval webhook is signed with, and the signature (design.md §5.6 step 2).
///
/// The secret is derived, never stored: HKDF-SHA256 of the active operator key's
/// `.approvalWebhookSigning` subkey with the account id as `info`. The control plane (which shows
/// it to admins) and every worker (which signs with it) compute the same value from
/// `PORTCULLIS_SECRET_KEYS`, and one account's secret tells nothing about another's.
///
/// Signature scheme (docs/api.md "Approval webhook"): the worker sends
/// `Portcullis-Timestamp: <unix seconds>` and
/// `Portcullis-Signature: sha256=<hex HMAC-SHA256(key, "<timestamp>.<body>")>`, where the key is
/// the secret's text as UTF-8 (the 64 hex characters, not the bytes they spell) and the body is
/// the exact bytes received. Covering the timestamp lets a receiver refuse replays of old
/// deliveries.
///
/// Rotating the operator keys (a new active key) changes every account's secret: admins read the
/// new one from `GET /v1/account` and update their receivers. Until the old key leaves the ring,
/// deliveries carry one signature per key (`signatures`), so a receiver still holding the old
/// secret keeps verifying through the rotation (issue 10 item 22).
public struct ApprovalWebhookSigning: Sendable {
    /// One per key of the ring, active first.
    private let purposeKeys: [SymmetricKey]

    public init(keyRing: SecretKeyRing) {
        purposeKeys = keyRing.derived(for: .approvalWebhookSigning).keys.map(\.key)
    }

    /// 64 lowercase hex characters, under the active key.
    public func secret(forAccount account: UUID) -> String {
        secrets(forAccount: account)[0]
    }

    /// The account's secret under every key of the ring, active first.
    public func secrets(forAccount account: UUID) -> [String] {
        purposeKeys.map { purposeKey in
            HKDF<SHA256>.deriveKey(
                inputKeyMaterial: purposeKey,
                info: Data("account:\(account.uuidString.lowercased())".utf8),
                outputByteCount: 32
            ).withUnsafeBytes { Array($0) }.lowercaseHex
        }
    }

    /// The `Portcullis-Signature` value for a delivery: `sha256=<hex>` under the active secret,
    /// then, comma-separated, under each older key's secret. A receiver accepts the delivery when
    /// any of them matches its secret.
    public func signatures(forAccount account: UUID, timestamp: Int64, body: [UInt8]) -> String {
        secrets(forAccount: account).map { Self.signature(secret: $0, timestamp: timestamp, body: body) }.joined(separator: ",")
    }

    /// The `Portcullis-Signature` value for `body` sent at `timestamp`: `sha256=<hex>`.
    public static func signature(secret: String, timestamp: Int64, body: [UInt8]) -> String {
        var message = Array("\(timestamp).".utf8)
        message += body
        let code = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Array(secret.utf8)))
        return "sha256=" + Array(code).lowercaseHex
    }
}
