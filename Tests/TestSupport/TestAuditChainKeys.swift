import Foundation
import Shared

extension AuditChainKeys {
    /// The audit chain keys of test shippers and of `withAPI`'s control plane, so what one chains
    /// the other verifies.
    public static let forTests = AuditChainKeys(
        keyRing: try! SecretKeyRing(parsing: "t1:" + Data(repeating: 0x5A, count: 32).base64EncodedString()))
}
