import Foundation
import TestSupport

/// The gateway configurations issue 11 measures: `--audit-durability process` and `machine` when
/// the built gateway has the flag, otherwise its one fixed behaviour (every event `fdatasync`ed
/// before the call goes on, which is what `machine` names). Detected from `gateway serve --help`,
/// so the benchmarks run on builds from before and after the flag.
struct AuditDurability: Sendable {
    /// How the tables name it.
    let label: String
    /// What the worker gets on its command line.
    let arguments: [String]

    static func available() throws -> [AuditDurability] {
        let help = try ChildProcess.run(["\(builtProductsFolder())/gateway", "serve", "--help"])
        guard help.contains("--audit-durability") else {
            return [AuditDurability(label: "no durability flag (fdatasync before forwarding)", arguments: [])]
        }
        return ["process", "machine"].map { AuditDurability(label: "durability \($0)", arguments: ["--audit-durability", $0]) }
    }

    /// The configuration design.md §10's targets are stated for: `process` when there is a choice.
    static func target() throws -> AuditDurability { try available()[0] }
}
