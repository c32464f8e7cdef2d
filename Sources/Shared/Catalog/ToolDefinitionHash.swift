import Crypto
import JSON

/// The SHA-256 fingerprint of a tool definition (design.md §5.7), used to pin approved definitions and
/// to spot a changed one (a "rug pull") in a later `tools/list`.
///
/// Only the fields that change what the model is told or what the tool accepts are hashed; `_meta`,
/// icons and the like may change freely without unapproving the tool.
public struct ToolDefinitionHash: Sendable, Hashable, CustomStringConvertible {
    public static let hashedFields = ["name", "title", "description", "inputSchema", "outputSchema", "annotations"]

    /// Lower-case hexadecimal SHA-256.
    public let hex: String

    public init(hex: String) { self.hex = hex }

    /// Hashes the canonical JSON of the definition's hashed fields; absent fields stay absent
    /// (they are not written as `null`), so adding `"title": null` is a change but omitting it is not.
    public init(definition: JSONValue) {
        self.init(canonicalBytes: Self.hashedSubset(of: definition).canonicalBytes())
    }

    init(canonicalBytes: [UInt8]) {
        hex = SHA256.hash(data: canonicalBytes).lowercaseHex
    }

    public static func hashedSubset(of definition: JSONValue) -> JSONValue {
        var subset = JSONObject()
        for field in hashedFields {
            if let value = definition[field] { subset[field] = value }
        }
        return .object(subset)
    }

    public var description: String { hex }
}
