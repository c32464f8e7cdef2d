import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import ControlPlane

/// The console's static files (issue 12): served from the bundle with their types and headers.
@Suite(.timeLimit(.minutes(2)))
struct ConsoleRoutesTests {
    @Test func consoleIndexIsServedWithTheSecurityHeaders() async throws {
        try await withAPI { api, _ in
            for path in ["/console", "/console/"] {
                let response = try await api.client.execute(uri: path, method: .get)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.headers[.contentSecurityPolicy]?.hasPrefix("default-src 'self'") == true)
                #expect(response.headers[.init("X-Frame-Options")!] == "DENY")
                #expect(response.headers[.init("Referrer-Policy")!] == "no-referrer")
                #expect(String(buffer: response.body).contains("<script type=\"module\" src=\"/console/app.js\">"))
            }
        }
    }

    @Test func consoleModulesAndStylesheetHaveTheirContentTypes() async throws {
        try await withAPI { api, _ in
            let script = try await api.client.execute(uri: "/console/pages/login.js", method: .get)
            #expect(script.status == .ok)
            #expect(script.headers[.contentType] == "text/javascript; charset=utf-8")
            #expect(script.headers[.cacheControl] == "no-cache")
            let style = try await api.client.execute(uri: "/console/style.css", method: .get)
            #expect(style.headers[.contentType] == "text/css; charset=utf-8")
        }
    }

    @Test func anUnchangedConsoleFileIsAnsweredNotModified() async throws {
        try await withAPI { api, _ in
            let first = try await api.client.execute(uri: "/console/app.js", method: .get)
            let etag = try #require(first.headers[.eTag])
            let again = try await api.client.execute(uri: "/console/app.js", method: .get, headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified)
            #expect(again.body.readableBytes == 0)
        }
    }

    @Test func pathsOutsideTheConsoleFolderAreNotFound() async throws {
        try await withAPI { api, _ in
            for path in ["/console/../openapi.yaml", "/console/%2e%2e/openapi.yaml", "/console/nope.js", "/console/pages/"] {
                let response = try await api.client.execute(uri: path, method: .get)
                #expect(response.status == .notFound, "\(path)")
            }
        }
    }

    @Test func everyConsoleFileAvoidsInlineScriptAndStyle() async throws {
        // The CSP forbids them; a page that used one would break silently in the browser.
        let root = try #require(Bundle.module.url(forResource: "console", withExtension: nil) ?? consoleFolder())
        let walker = try #require(FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil))
        var checked = 0
        for case let url as URL in walker where ["html", "js"].contains(url.pathExtension) {
            let text = try String(contentsOf: url, encoding: .utf8)
            #expect(!text.contains("style=\""), "\(url.lastPathComponent)")
            #expect(!text.contains(".innerHTML") && !text.contains("insertAdjacentHTML"), "\(url.lastPathComponent)")
            #expect(!text.contains(" onclick=\""), "\(url.lastPathComponent)")
            if url.pathExtension == "html" {
                #expect(!text.contains("<script>"), "\(url.lastPathComponent)")
                #expect(!text.contains("<style"), "\(url.lastPathComponent)")
            }
            checked += 1
        }
        #expect(checked >= 4)
    }
}

/// The console's sources, found from this file (the test bundle does not hold them).
private func consoleFolder() -> URL? {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/ControlPlane/Resources/console")
}
