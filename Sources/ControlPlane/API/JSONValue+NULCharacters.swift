import JSON
import Shared

extension JSONValue {
    /// The pointer of the first string (member name or value) holding U+0000, if any.
    ///
    /// PostgreSQL stores neither text nor jsonb with NUL characters, and libpq would cut a text
    /// parameter at the first one, so the API refuses them at the door instead of storing less
    /// than it was sent.
    func firstNULCharacter(at pointer: String = "") -> String? {
        switch self {
        case .string(let string):
            return string.utf8.contains(0) ? pointer : nil
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                if let found = element.firstNULCharacter(at: JSONPointer.appending(pointer, index)) { return found }
            }
            return nil
        case .object(let object):
            for (key, value) in object.members {
                let member = JSONPointer.appending(pointer, key)
                if key.utf8.contains(0) { return member }
                if let found = value.firstNULCharacter(at: member) { return found }
            }
            return nil
        case .null, .bool, .number:
            return nil
        }
    }
}
