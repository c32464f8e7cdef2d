import JSON

/// One thing wrong with a policy document: where (a JSON Pointer) and what, in plain words.
public struct PolicyProblem: Sendable, Equatable, CustomStringConvertible {
    public let pointer: String
    public let message: String

    public init(pointer: String, message: String) {
        self.pointer = pointer
        self.message = message
    }

    /// `/tools/x/limits/0/window: must be one of second, minute, hour, day` (design.md §4).
    public var description: String {
        (pointer.isEmpty ? "(document)" : pointer) + ": " + message
    }
}

/// A rejected document, with every problem found, not just the first (design.md §4).
public struct PolicyValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let problems: [PolicyProblem]

    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }
}
