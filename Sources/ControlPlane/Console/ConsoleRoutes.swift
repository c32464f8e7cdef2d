import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Shared

/// `GET /console` and `/console/**`: the console's static files (issue 12), read once from the
/// bundle's `console/` folder. Every answer carries the console's security headers; files are
/// revalidated by ETag on each load, so a new release is picked up at once without stale modules.
struct ConsoleRoutes: Sendable {
    struct File: Sendable {
        let body: ByteBuffer
        let contentType: String
        let etag: String
    }

    /// Relative path (`app.js`, `pages/servers.js`) to file; empty in a build whose bundle lacks them.
    private let files: [String: File]

    /// CSP `default-src 'self'` with no inline script or style (issue 12); `frame-ancestors` and
    /// X-Frame-Options both refuse framing (clickjacking of the Approve button).
    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy: "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'",
        HTTPField.Name("X-Frame-Options")!: "DENY",
        HTTPField.Name("Referrer-Policy")!: "no-referrer",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("Cross-Origin-Opener-Policy")!: "same-origin",
    ]

    init(bundle: Bundle = .module) {
        files = bundle.url(forResource: "console", withExtension: nil).map(Self.load(from:)) ?? [:]
    }

    func addRoutes(to router: Router<APIRequestContext>) {
        router.get("/console") { request, _ in try serve("index.html", for: request) }
        router.get("/console/**") { request, context in
            try serve(context.parameters.getCatchAll().joined(separator: "/"), for: request)
        }
    }

    private func serve(_ path: String, for request: Request) throws -> Response {
        guard let file = files[path] else { throw ProblemError.notFound("Console file") }
        var headers = Self.securityHeaders
        headers[.contentType] = file.contentType
        headers[.cacheControl] = "no-cache"
        headers[.eTag] = file.etag
        if request.headers[.ifNoneMatch] == file.etag {
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: file.body))
    }

    /// Every regular file under `root`, keyed by its path relative to it. Only names listed by the
    /// bundle are ever served: a request path is a dictionary key, never a file system path.
    private static func load(from root: URL) -> [String: File] {
        var files: [String: File] = [:]
        let base = root.standardizedFileURL.path + "/"
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else { return [:] }
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true,
                  let data = try? Data(contentsOf: url),
                  let type = contentTypes[url.pathExtension.lowercased()]
            else { continue }
            let path = String(url.standardizedFileURL.path.dropFirst(base.count))
            let digest = Array(SHA256.hash(data: data)).prefix(12).lowercaseHex
            files[path] = File(body: ByteBuffer(bytes: data), contentType: type, etag: "\"\(digest)\"")
        }
        return files
    }

    private static let contentTypes = [
        "html": "text/html; charset=utf-8",
        "js": "text/javascript; charset=utf-8",
        "css": "text/css; charset=utf-8",
        "svg": "image/svg+xml",
        "png": "image/png",
        "ico": "image/x-icon",
    ]
}
