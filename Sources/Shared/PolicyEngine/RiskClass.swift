import JSON

/// What a tool does, as the catalog classifies it (design.md §5.8). The policy's `risk` map decides
/// tools without an entry of their own by this class.
public enum RiskClass: String, Sendable, CaseIterable, Codable {
    case read, write, execute, destructive, financial

    /// Severities follow the classes in order: low, medium, high, critical, critical.
    public var defaultSeverity: RiskSeverity {
        switch self {
        case .read: .low
        case .write: .medium
        case .execute: .high
        case .destructive, .financial: .critical
        }
    }
}

public enum RiskSeverity: String, Sendable, CaseIterable, Codable, Comparable {
    case low, medium, high, critical

    public static func < (lhs: RiskSeverity, rhs: RiskSeverity) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// The decision `risk` assigns to a class.
public enum RiskAction: String, Sendable, CaseIterable {
    case allow, deny, hide, approve
}
