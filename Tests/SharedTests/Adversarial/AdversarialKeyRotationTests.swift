import Crypto
import Foundation
import JSON
import Shared
import Testing

/// Issue 10 item 22: rotating the operator keys (`v2:NEW,v1:OLD`) keeps what was made under the
/// old key working: approval fingerprints stored before still match, webhook receivers holding
/// the old secret still verify.
struct AdversarialKeyRotationTests {
    static let old = "v1:" + Data((1...32).map { UInt8($0) }).base64EncodedString()
    static let new = "v2:" + Data((33...64).map { UInt8($0) }).base64EncodedString()

    @Test func aFingerprintMadeBeforeARotationIsAmongTheCandidatesAfterIt() throws {
        let before = KeyRingMAC(keyRing: try SecretKeyRing(parsing: Self.old), purpose: .approvalFingerprint)
        let after = KeyRingMAC(keyRing: try SecretKeyRing(parsing: Self.new + "," + Self.old), purpose: .approvalFingerprint)
        let message = Array("create-pod\u{0}{\"gpuCount\":2}".utf8)
        let stored = before.code(message)
        #expect(after.codes(message).contains(stored))
        #expect(after.code(message) != stored)  // new requests use the new key
        #expect(after.codes(message).first == after.code(message))
    }

    @Test func aWebhookReceiverHoldingTheOldSecretStillVerifiesDuringARotation() throws {
        let account = UUID()
        let oldSecret = ApprovalWebhookSigning(keyRing: try SecretKeyRing(parsing: Self.old)).secret(forAccount: account)
        let rotated = ApprovalWebhookSigning(keyRing: try SecretKeyRing(parsing: Self.new + "," + Self.old))
        let body = Array("{\"approval_id\":\"x\"}".utf8)
        let header = rotated.signatures(forAccount: account, timestamp: 1_700_000_000, body: body)
        let expectedByOldReceiver = ApprovalWebhookSigning.signature(secret: oldSecret, timestamp: 1_700_000_000, body: body)
        #expect(header.split(separator: ",").map(String.init).contains(expectedByOldReceiver))
        #expect(header.hasPrefix(ApprovalWebhookSigning.signature(secret: rotated.secret(forAccount: account), timestamp: 1_700_000_000, body: body)))
        #expect(rotated.secret(forAccount: account) != oldSecret)
    }

    /// Item 15: the tool-name part of the scan finds the same mentions as a plain search, names
    /// with dots included, whatever the number of tools.
    @Test func toolNameMentionsAreFoundByWordsAndByDottedNames() {
        let tool: JSONValue = ["name": "get-pod", "description": "Then call delete-pod, files.read and stop_pod; not undelete-pods."]
        let others = ["get-pod", "delete-pod", "files.read", "stop_pod", "undelete"] + (0..<5000).map { "tool-\($0)" }
        let excerpts = PoisoningScanner.scan(tool, otherToolNames: others).filter { $0.kind == .toolReference }.map(\.excerpt)
        #expect(excerpts.count == 3)
    }
}
