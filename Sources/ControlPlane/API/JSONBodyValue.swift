import Foundation
import JSON
import Shared

/// A Swift type a request body member can be read as, with the phrase used when it is wrong.
protocol JSONBodyValue {
    /// "a string", "an object": completes "must be ...".
    static var expected: String { get }
    /// nil when `value` is not of this type.
    init?(json value: JSONValue)
}

extension String: JSONBodyValue {
    static var expected: String { "a string" }
    init?(json value: JSONValue) {
        guard let string = value.stringValue else { return nil }
        self = string
    }
}

extension Bool: JSONBodyValue {
    static var expected: String { "a boolean" }
    init?(json value: JSONValue) {
        guard let bool = value.boolValue else { return nil }
        self = bool
    }
}

extension Int: JSONBodyValue {
    static var expected: String { "an integer" }
    init?(json value: JSONValue) {
        guard let int = value.numberValue?.int64Value.flatMap({ Int(exactly: $0) }) else { return nil }
        self = int
    }
}

extension JSONObject: JSONBodyValue {
    static var expected: String { "an object" }
    init?(json value: JSONValue) {
        guard let object = value.objectValue else { return nil }
        self = object
    }
}

extension UUID: JSONBodyValue {
    static var expected: String { "a UUID string" }
    init?(json value: JSONValue) {
        guard let uuid = value.stringValue.flatMap(UUID.init(uuidString:)) else { return nil }
        self = uuid
    }
}

extension Array: JSONBodyValue where Element == JSONValue {
    static var expected: String { "an array" }
    init?(json value: JSONValue) {
        guard let array = value.arrayValue else { return nil }
        self = array
    }
}

/// Timestamps are RFC 3339 strings, with or without fractional seconds.
extension Date: JSONBodyValue {
    static var expected: String { "an RFC 3339 timestamp such as 2030-01-31T12:00:00Z" }
    init?(json value: JSONValue) {
        guard let text = value.stringValue else { return nil }
        guard let date = (try? Date(text, strategy: .iso8601))
            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        else { return nil }
        self = date
    }
}

/// Closed sets of strings (roles, modes) read by their raw value.
extension JSONBodyValue where Self: RawRepresentable, Self.RawValue == String, Self: CaseIterable {
    static var expected: String { "one of " + allCases.map(\.rawValue).joined(separator: ", ") }
    init?(json value: JSONValue) {
        guard let raw = value.stringValue, let member = Self(rawValue: raw) else { return nil }
        self = member
    }
}
