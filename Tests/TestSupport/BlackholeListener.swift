#if canImport(Glibc)
import Glibc
#endif

/// A TCP listener on loopback that never accepts, reads or answers: the kernel completes the
/// handshakes into the backlog, so a client connects and then hears nothing, as from a PostgreSQL
/// whose network went dark. Only this test's own socket is affected (issue 10 item 21).
public final class BlackholeListener: Sendable {
    public let port: Int
    private let descriptor: Int32

    public init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw BlackholeError("socket failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(descriptor, address, length) == 0 && listen(descriptor, 64) == 0 && getsockname(descriptor, address, &length) == 0
            }
        }
        guard bound else {
            Glibc.close(descriptor)
            throw BlackholeError("bind or listen failed: errno \(errno)")
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    public func close() {
        Glibc.close(descriptor)
    }
}

struct BlackholeError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
