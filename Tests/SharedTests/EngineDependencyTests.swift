import Foundation
import Testing

/// STYLE.md: the policy engine depends on nothing but the JSON type and the RE2 shim (issue 10
/// item 10: linear-time regexes), and the JSON type on nothing but the standard library. The
/// targets `JSON` and `PolicyEngine` hold every other arrow (issue 15 item 1); Foundation is
/// reachable from any target, so a stray `import Foundation` would still break it silently.
@Suite struct EngineDependencyTests {
    static let sources = DocsPolicyExamplesTests.repositoryRoot.appendingPathComponent("Sources/Shared")
    static let allowedImports = ["JSON": Set<String>(), "PolicyEngine": ["import CRE2", "import JSON"]]

    @Test(arguments: ["JSON", "PolicyEngine"])
    func engineFilesImportNothing(_ folder: String) throws {
        let directory = Self.sources.appendingPathComponent(folder)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".swift") }
        #expect(!files.isEmpty)
        for file in files {
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            let imports = text.split(separator: "\n").filter { $0.hasPrefix("import ") || $0.hasPrefix("@testable import ") }
            #expect(imports.allSatisfy { Self.allowedImports[folder]!.contains(String($0)) }, "\(folder)/\(file) imports \(imports)")
        }
    }
}
