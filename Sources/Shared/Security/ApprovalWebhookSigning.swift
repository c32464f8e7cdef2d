import Crypto
import Foundation

/// The secret an account's approval webhook is signed with, and the signature (SPEC 5.6 step 2).
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
/// new one from `GET /v1/account` and update their receivers.
public struct ApprovalWebhookSigning: Sendable {
    private let purposeKey: SymmetricKey

    public init(keyRing: SecretKeyRing) {
        purposeKey = keyRing.derived(for: .approvalWebhookSigning).active.key
    }

    /// 64 lowercase hex characters.
    public func secret(forAccount account: UUID) -> String {
        let key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: purposeKey,
            info: Data("account:\(account.uuidString.lowercased())".utf8),
            outputByteCount: 32
        )
        return key.withUnsafeBytes { Array($0) }.lowercaseHex
    }

    /// The `Portcullis-Signature` value for `body` sent at `timestamp`: `sha256=<hex>`.
    public static func signature(secret: String, timestamp: Int64, body: [UInt8]) -> String {
        var message = Array("\(timestamp).".utf8)
        message += body
        let code = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Array(secret.utf8)))
        return "sha256=" + Array(code).lowercaseHex
    }
}
