import Foundation
import NIOPosix

// Raw TCP exchanges, for what an HTTP client would not send: an incomplete request, a body that
// never arrives (used by the control plane's and the gateway's adversarial suites).

/// What a raw exchange read: the bytes, and whether the server closed the connection (false when
/// the read gave up at its timeout instead).
public struct RawAnswer: Sendable {
    public let text: String
    public let closedByServer: Bool
}

/// One raw TCP exchange with a loopback server: writes `request` as given (possibly incomplete),
/// then reads until the server closes, at most `readTimeout` (a safety net: a test never waits on
/// it to pass).
public func rawExchange(port: Int, _ request: String, readTimeout seconds: Int = 20) async throws -> RawAnswer {
    try await NIOThreadPool.singleton.runIfActive {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawExchangeError("socket() failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw RawExchangeError("connect() failed") }
        let bytes = Array(request.utf8)
        guard send(fd, bytes, bytes.count, 0) == bytes.count else { throw RawExchangeError("send() failed") }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var closed = false
        while received.count < 65_536 {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 { closed = true }
            if count <= 0 { break }
            received += buffer[0..<count]
        }
        return RawAnswer(text: String(decoding: received, as: UTF8.self), closedByServer: closed)
    }
}

struct RawExchangeError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
