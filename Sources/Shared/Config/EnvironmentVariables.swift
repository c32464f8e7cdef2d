import Foundation

/// Reads `PORTCULLIS_*` settings. Command-line options take their defaults from here, so the
/// priority is always: flag, then environment, then the built-in default.
public enum EnvironmentVariables {
    public static func string(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }

    public static func int(_ name: String) -> Int? { string(name).flatMap { Int($0) } }

    /// A comma-separated list (`PORTCULLIS_WORKER_TOKENS=a,b`).
    public static func list(_ name: String) -> [String] {
        string(name)?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } ?? []
    }
}
