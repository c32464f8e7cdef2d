import Foundation
import Testing

/// STYLE.md: the policy engine depends on nothing but the JSON type and the RE2 shim (issue 10
/// item 10: linear-time regexes), and the JSON type on nothing but the standard library. A stray
/// `import Foundation` would break that arrow silently.
@Suite struct EngineDependencyTests {
    static let sources = DocsPolicyExamplesTests.repositoryRoot.appendingPathComponent("Sources/Shared")
    static let allowedImports = ["JSON": Set<String>(), "Policy": ["import CRE2"]]

    @Test(arguments: ["JSON", "Policy"])
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
