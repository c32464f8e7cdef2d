import Foundation
import PolicyEngine
import Shared

extension PolicyTime {
    /// The engine reads no clock; the gateway passes it the wall-clock time of each decision.
    static var now: PolicyTime {
        PolicyTime(millisecondsSince1970: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }
}
