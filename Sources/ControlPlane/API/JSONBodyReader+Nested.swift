import JSON
import Shared

extension JSONBodyReader {
    /// Problems a field rule cannot express, such as members that depend on each other.
    struct Refusals {
        private(set) var errors: [ProblemError.FieldError] = []

        /// `pointer` is relative to the nested object, e.g. `/token`.
        mutating func callAsFunction(_ pointer: String, _ message: String) {
            errors.append(.init(pointer: pointer, message: message))
        }
    }

    /// Reads an object nested in a request body (`auth` of a server, `risk_override` of a tool)
    /// with the same strictness as the body itself, and throws one 400 problem listing every
    /// error at pointers under `pointer`.
    static func readNested<T>(_ object: JSONObject, at pointer: String, _ read: (inout JSONBodyReader, inout Refusals) -> T?) throws -> T {
        var reader = JSONBodyReader(object: object)
        var refusals = Refusals()
        let result = read(&reader, &refusals)
        reader.rejectUnknownMembers()
        let errors = reader.errors + refusals.errors
        guard errors.isEmpty, let result else {
            throw ProblemError.invalidFields(errors.map { .init(pointer: pointer + $0.pointer, message: $0.message) })
        }
        return result
    }
}
