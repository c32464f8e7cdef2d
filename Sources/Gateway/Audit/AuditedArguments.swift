import JSON
import PolicyEngine
import Shared

/// The part of a call's arguments an audit row keeps, as the policy's `audit.arguments` says
/// (design.md §4, §7): `keys` keeps only the sorted top-level names; `redacted` also keeps values but
/// blanks every member whose name says it holds a secret; `full` keeps all values. Every kept
/// string has its credentials masked.
struct AuditedArguments: Equatable {
    let keys: [String]
    let values: JSONValue?

    /// Member names whose values are secrets whatever they look like (`s3Config.accessSecret`,
    /// `password` in RunPod's tools), compared case-insensitively as substrings.
    static let secretNameParts = ["password", "secret", "token", "apikey", "api_key", "authorization", "credential", "privatekey", "private_key"]

    static let redacted: JSONValue = "[REDACTED]"

    init(_ arguments: JSONValue, mode: CompiledPolicy.AuditArguments) {
        keys = arguments.objectValue?.keys.sorted() ?? []
        switch mode {
        case .keys: values = nil
        case .redacted: values = Self.scrub(arguments, blankSecretNames: true)
        case .full: values = Self.scrub(arguments, blankSecretNames: false)
        }
    }

    private static func scrub(_ value: JSONValue, blankSecretNames: Bool) -> JSONValue {
        switch value {
        case .string(let text):
            return .string(SecretMasking.masked(text))
        case .array(let elements):
            return .array(elements.map { scrub($0, blankSecretNames: blankSecretNames) })
        case .object(let object):
            var scrubbed = JSONObject()
            for (key, member) in object.members {
                scrubbed[key] = blankSecretNames && isSecretName(key) ? redacted : scrub(member, blankSecretNames: blankSecretNames)
            }
            return .object(scrubbed)
        case .null, .bool, .number:
            return value
        }
    }

    static func isSecretName(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return secretNameParts.contains { lowered.contains($0) }
    }
}
