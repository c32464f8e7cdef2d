import Hummingbird
import JSON
import Shared

/// Reads the members of a JSON request body, collecting every problem (missing, wrong type,
/// failed rule, unknown member) with its JSON Pointer instead of stopping at the first.
///
/// Use it through `Request.readJSONBody(context:_:)`, which runs the closure and then throws one
/// 400 problem listing everything wrong, so a handler never sees a half-valid input. The readers
/// return placeholder values when a member is bad; those never escape because of that final check.
struct JSONBodyReader {
    private let object: JSONObject
    private var readKeys: Set<String> = []
    private(set) var errors: [ProblemError.FieldError] = []

    init(object: JSONObject) {
        self.object = object
    }

    /// A required member. `rule` returns a message when the value is unacceptable.
    mutating func required<T: JSONBodyValue>(_ key: String, as type: T.Type = T.self, rule: (T) -> String? = { _ in nil }) -> T? {
        guard let raw = take(key), !raw.isNull else {
            reject(key, "is required")
            return nil
        }
        return convert(key, raw, rule: rule)
    }

    /// An optional member; absent and `null` both read as nil.
    mutating func optional<T: JSONBodyValue>(_ key: String, as type: T.Type = T.self, rule: (T) -> String? = { _ in nil }) -> T? {
        guard let raw = take(key), !raw.isNull else { return nil }
        return convert(key, raw, rule: rule)
    }

    /// A member of a PATCH body: absent leaves the field alone, `null` clears it (when `nullable`).
    mutating func patch<T: JSONBodyValue>(
        _ key: String, as type: T.Type = T.self, nullable: Bool = false, rule: (T) -> String? = { _ in nil }
    ) -> PatchValue<T> {
        guard let raw = take(key) else { return .unchanged }
        if raw.isNull {
            if nullable { return .set(nil) }
            reject(key, "cannot be null")
            return .unchanged
        }
        return convert(key, raw, rule: rule).map { .set($0) } ?? .unchanged
    }

    /// Members nobody asked for are errors: a typo must not be silently ignored (as in design.md §4).
    mutating func rejectUnknownMembers() {
        for key in object.keys where !readKeys.contains(key) {
            reject(key, "is not a known field")
        }
    }

    private mutating func take(_ key: String) -> JSONValue? {
        readKeys.insert(key)
        return object[key]
    }

    private mutating func convert<T: JSONBodyValue>(_ key: String, _ raw: JSONValue, rule: (T) -> String?) -> T? {
        guard let value = T(json: raw) else {
            reject(key, "must be \(T.expected), got \(raw.kindName)")
            return nil
        }
        if let message = rule(value) {
            reject(key, message)
            return nil
        }
        return value
    }

    private mutating func reject(_ key: String, _ message: String) {
        errors.append(.init(pointer: JSONPointer.appending("", key), message: message))
    }
}

/// What a PATCH body says about one field.
enum PatchValue<T> {
    case unchanged
    case set(T?)

    /// For an UPDATE that may set a column to NULL:
    /// `col = CASE WHEN \(patch.isSet) THEN \(patch.newValue) ELSE col END`.
    var isSet: Bool {
        if case .set = self { return true }
        return false
    }

    var newValue: T? {
        if case .set(let value) = self { return value }
        return nil
    }
}

extension Request {
    /// Collects the body (at most `context.maxUploadSize` bytes, else 413), parses it with the
    /// strict parser (bad JSON is a 400 at the offending pointer), requires an object, and hands it
    /// to `read`. Throws one 400 problem with every field error, unknown members included.
    func readJSONBody<T>(context: some RequestContext, _ read: (inout JSONBodyReader) throws -> T?) async throws -> T {
        let buffer = try await body.collect(upTo: context.maxUploadSize)
        let value: JSONValue
        do {
            value = try JSONParser().parse(Array(buffer: buffer))
        } catch {
            throw ProblemError(
                status: .badRequest,
                detail: "The request body is not valid JSON: \(error.message).",
                errors: [.init(pointer: error.pointer, message: error.message)]
            )
        }
        guard let object = value.objectValue else {
            throw ProblemError.invalidFields([.init(pointer: "", message: "must be an object, got \(value.kindName)")])
        }
        if let pointer = value.firstNULCharacter() {
            throw ProblemError.invalidFields([.init(pointer: pointer, message: "must not contain NUL (U+0000) characters")])
        }
        var reader = JSONBodyReader(object: object)
        let result = try read(&reader)
        reader.rejectUnknownMembers()
        guard reader.errors.isEmpty, let result else {
            throw ProblemError.invalidFields(reader.errors)
        }
        return result
    }
}
