import AsyncHTTPClient
import Foundation
import TestSupport

/// nginx proxying to the same upstream, the throughput baseline of design.md §10 ("≥ 0.5× nginx
/// proxying the same traffic"): kept-alive upstream connections, no buffering, no access log,
/// as many workers as cores (the gateway's event loops also use every core).
struct NginxProxy {
    let process: ChildProcess
    let port: Int
    let prefix: String

    var url: String { "http://127.0.0.1:\(port)/mcp" }

    /// nginx's master and its workers.
    var processes: [pid_t] { [process.pid] + ProcessCPU.children(of: process.pid) }

    static func executable() -> String? {
        ["/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func start(executable: String, upstreamPort: Int) async throws -> NginxProxy {
        let port = try freeLoopbackPort()
        let prefix = NSTemporaryDirectory() + "portcullis-bench-nginx-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: prefix, withIntermediateDirectories: true)
        BenchmarkStack.temporaryFolders.withLockedValue { $0.append(prefix) }
        let configuration = """
            worker_processes auto;
            error_log \(prefix)/error.log warn;
            pid \(prefix)/nginx.pid;
            events { worker_connections 4096; }
            http {
                access_log off;
                client_body_temp_path \(prefix)/body;
                proxy_temp_path \(prefix)/proxy;
                fastcgi_temp_path \(prefix)/fastcgi;
                uwsgi_temp_path \(prefix)/uwsgi;
                scgi_temp_path \(prefix)/scgi;
                upstream mcp { server 127.0.0.1:\(upstreamPort); keepalive 256; }
                server {
                    listen 127.0.0.1:\(port);
                    location / {
                        proxy_pass http://mcp;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_buffering off;
                    }
                }
            }
            """
        try configuration.write(toFile: "\(prefix)/nginx.conf", atomically: true, encoding: .utf8)
        let process = try ChildProcess.spawn([executable, "-p", prefix, "-c", "\(prefix)/nginx.conf", "-g", "daemon off;"])
        BenchmarkStack.children.withLockedValue { $0.append(process) }
        let proxy = NginxProxy(process: process, port: port, prefix: prefix)
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if try await process.waitForExit(timeout: .zero) != nil {
                throw BenchmarkError("nginx exited during start-up: \(process.output)")
            }
            // Any answer (the upstream's 405 to a GET) means nginx listens and proxies.
            if (try? await HTTPClient.shared.execute(HTTPClientRequest(url: proxy.url), timeout: .seconds(1))) != nil { return proxy }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchmarkError("nginx did not answer in 10 s: \(process.output)")
    }

    func removeFiles() {
        try? FileManager.default.removeItem(atPath: prefix)
    }
}
