import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP proxy on loopback to a PostgreSQL Unix socket that can be frozen: from then on it forwards
/// nothing in either direction but keeps every connection open, as a server whose process stopped
/// while its kernel still acknowledges (issue 10 item 21). Only connections made through this
/// proxy are affected; the cluster itself keeps serving every other test.
public final class FreezableProxy: @unchecked Sendable {
    public let port: Int
    private let listener: Int32
    private let target: String
    private let lock = NSLock()
    private var frozen = false
    private var descriptors: [Int32] = []

    /// `socketPath` is the server's socket file, e.g. `/tmp/folder/.s.PGSQL.5432`.
    public init(socketPath: String) throws {
        target = socketPath
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(listener, address, length) == 0 && listen(listener, 16) == 0 && getsockname(listener, address, &length) == 0
            }
        }
        guard listener >= 0, bound else {
            if listener >= 0 { Glibc.close(listener) }
            throw BlackholeError("proxy listener failed: errno \(errno)")
        }
        self.listener = listener
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in acceptLoop() }.start()
    }

    public func freeze() {
        lock.withLock { frozen = true }
    }

    public func stop() {
        let open = lock.withLock { () -> [Int32] in
            defer { descriptors = [] }
            return descriptors
        }
        Glibc.shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
        for descriptor in open {
            Glibc.shutdown(descriptor, Int32(SHUT_RDWR))
            Glibc.close(descriptor)
        }
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let server = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { path in
                for (index, byte) in target.utf8.prefix(path.count - 1).enumerated() { path[index] = byte }
            }
            let connected = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(server, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
                }
            }
            guard connected else {
                Glibc.close(client)
                Glibc.close(server)
                continue
            }
            lock.withLock { descriptors += [client, server] }
            Thread { [self] in pump(from: client, to: server) }.start()
            Thread { [self] in pump(from: server, to: client) }.start()
        }
    }

    /// Copies bytes until either side closes; once frozen, what arrives is held back for good.
    private func pump(from source: Int32, to destination: Int32) {
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            guard count > 0, !lock.withLock({ frozen }) else { return }
            let written = buffer.withUnsafeBytes { write(destination, $0.baseAddress, count) }
            guard written == count else { return }
        }
    }
}
