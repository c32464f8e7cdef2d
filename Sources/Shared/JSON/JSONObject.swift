/// A JSON object: members in document order, keys unique.
///
/// Stored as a flat array rather than a dictionary: MCP arguments have a handful of keys, where a
/// linear scan beats hashing, and document order is what the forwarded message and the audit
/// row's key list must show.
public struct JSONObject: Sendable, Equatable {
    public private(set) var members: [(key: String, value: JSONValue)]

    public init() { members = [] }

    /// Later duplicates replace earlier ones; the parser rejects duplicates before getting here.
    public init(_ pairs: [(String, JSONValue)]) {
        members = []
        members.reserveCapacity(pairs.count)
        for (key, value) in pairs { self[key] = value }
    }

    /// For callers that have proved the keys unique (the parser, the audit columns' literal keys):
    /// no duplicate check. `package`, not public: a wrong caller would break the object's invariant.
    package init(uniqueMembers: [(key: String, value: JSONValue)]) {
        members = uniqueMembers
    }

    public var count: Int { members.count }
    public var isEmpty: Bool { members.isEmpty }
    public var keys: [String] { members.map(\.key) }

    /// Keys match by code points (UTF-8 bytes), not by `String ==`, whose canonical equivalence
    /// would let `args.é` read the member an upstream knows as "e\u{301}" (issue 10 item 23).
    public subscript(key: String) -> JSONValue? {
        get {
            // Indexing instead of iterating avoids copying (and retaining) every member passed over.
            for index in members.indices where Self.sameKey(members[index].key, key) { return members[index].value }
            return nil
        }
        set {
            if let index = members.firstIndex(where: { Self.sameKey($0.key, key) }) {
                if let newValue { members[index].value = newValue } else { members.remove(at: index) }
            } else if let newValue {
                members.append((key, newValue))
            }
        }
    }

    /// Native strings know their UTF-8 length, so most non-matching keys cost one comparison.
    private static func sameKey(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && a.utf8.elementsEqual(b.utf8)
    }

    /// Objects are unordered in JSON: equal when they hold the same keys with equal values.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (key, value) in lhs.members where rhs[key] != value { return false }
        return true
    }
}
