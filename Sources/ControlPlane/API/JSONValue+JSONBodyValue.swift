import JSON
import Shared

/// A member taken as it is, for bodies that carry a document another layer judges (a policy
/// document goes to the policy validator, which reports its own pointers).
extension JSONValue: JSONBodyValue {
    static var expected: String { "any JSON value" }
    init?(json value: JSONValue) { self = value }
}
