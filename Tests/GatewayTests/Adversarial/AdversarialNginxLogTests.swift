import AsyncHTTPClient
import Foundation
import TestSupport
import Testing

/// Issue 10 item 22: a grant's secret URL (`/g/<token>/mcp`) is a credential, so the nginx in
/// front of the workers must not write it to any log, not even when the worker behind it is down
/// (nginx's error log carries the request line and cannot be formatted).
@Suite(.timeLimit(.minutes(1)))
struct AdversarialNginxLogTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx")))
    func nginxNeverLogsAGrantTokenEvenWhenTheWorkerIsDown() async throws {
        let dir = NSTemporaryDirectory() + "nginx-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = try freeLoopbackPort()
        let downWorker = try freeLoopbackPort()
        _ = try ChildProcess.run([
            "/bin/bash", Self.repositoryRoot.appendingPathComponent("deploy/nginx/nginx.sh").path,
            "render", dir, "127.0.0.1:\(port)", "127.0.0.1:\(downWorker)",
        ])
        let nginx = try ChildProcess.spawn(["/usr/sbin/nginx", "-p", dir, "-c", dir + "/nginx.conf", "-e", dir + "/error.log", "-g", "daemon off;"])
        defer { nginx.removeOutput() }
        let token = "pcs_gr_\(UUID().uuidString.replacingOccurrences(of: "-", with: ""))"
        var answered = false
        for _ in 0..<100 where !answered {
            let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/g/\(token)/mcp")
            if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(5)) {
                answered = response.status == .badGateway
            } else {
                try await Task.sleep(for: .milliseconds(50))  // nginx not listening yet
            }
        }
        nginx.signal(SIGQUIT)  // flushes and closes its logs
        _ = try await nginx.waitForExit(timeout: .seconds(10))
        #expect(answered)
        let access = (try? String(contentsOfFile: dir + "/access.log", encoding: .utf8)) ?? ""
        let errors = (try? String(contentsOfFile: dir + "/error.log", encoding: .utf8)) ?? ""
        #expect(access.contains("/g/***/mcp"))
        #expect(!access.contains(token) && !errors.contains(token) && !nginx.output.contains(token))
    }
}
