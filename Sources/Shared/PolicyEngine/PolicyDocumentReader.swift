import JSON

/// Walks a policy document, collecting every problem with its pointer instead of stopping at the
/// first, and building the compiled parts of whatever is valid. Unknown fields are problems too:
/// a misspelt `limts` must not silently leave a tool unlimited (design.md §4).
struct PolicyDocumentReader {
    private(set) var problems: [PolicyProblem] = []

    mutating func report(_ pointer: String, _ message: String) {
        problems.append(PolicyProblem(pointer: pointer, message: message))
    }

    /// The object at `pointer`, after reporting unknown and missing fields.
    mutating func object(_ value: JSONValue, at pointer: String, fields: [String], required: [String] = []) -> JSONObject? {
        guard case .object(let object) = value else {
            report(pointer, "must be an object")
            return nil
        }
        for key in object.keys where !fields.contains(key) {
            report(JSONPointer.appending(pointer, key), "unknown field (expected one of \(fields.joined(separator: ", ")))")
        }
        for key in required where object[key] == nil {
            report(JSONPointer.appending(pointer, key), "is required")
        }
        return object
    }

    mutating func string(_ value: JSONValue, at pointer: String, nonEmpty: Bool = false) -> String? {
        guard case .string(let text) = value else {
            report(pointer, "must be a string")
            return nil
        }
        if nonEmpty && text.isEmpty {
            report(pointer, "must not be empty")
            return nil
        }
        return text
    }

    mutating func array(_ value: JSONValue, at pointer: String) -> [JSONValue]? {
        guard case .array(let elements) = value else {
            report(pointer, "must be an array")
            return nil
        }
        return elements
    }

    mutating func boolean(_ value: JSONValue, at pointer: String) -> Bool? {
        guard case .bool(let flag) = value else {
            report(pointer, "must be a boolean")
            return nil
        }
        return flag
    }

    /// One of an enumeration's raw values, reported as `must be one of a, b, c`.
    mutating func choice<T: RawRepresentable & CaseIterable>(_ value: JSONValue, at pointer: String, _: T.Type) -> T?
    where T.RawValue == String {
        if case .string(let text) = value, let choice = T(rawValue: text) { return choice }
        report(pointer, "must be one of " + T.allCases.map(\.rawValue).joined(separator: ", "))
        return nil
    }

    mutating func duration(_ value: JSONValue, at pointer: String) -> Int? {
        guard let text = string(value, at: pointer) else { return nil }
        guard let seconds = PolicyDuration.seconds(text) else {
            report(pointer, "must be a duration such as \"25s\", \"15m\", \"1h\" or \"1h30m\"")
            return nil
        }
        return seconds
    }

    mutating func path(_ value: JSONValue, at pointer: String) -> PolicyPath? {
        guard let text = string(value, at: pointer) else { return nil }
        switch PolicyPath.parse(text) {
        case .success(let path): return path
        case .failure(let error):
            report(pointer, error.message)
            return nil
        }
    }

    /// Maps each element, keeping the valid ones; problems are reported by `transform`.
    mutating func elements<T>(_ value: JSONValue, at pointer: String,
                              _ transform: (inout PolicyDocumentReader, JSONValue, String) -> T?) -> [T] {
        guard let elements = array(value, at: pointer) else { return [] }
        var results: [T] = []
        for (index, element) in elements.enumerated() {
            if let result = transform(&self, element, JSONPointer.appending(pointer, index)) { results.append(result) }
        }
        return results
    }
}
