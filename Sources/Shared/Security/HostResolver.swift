import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns a host name into addresses. A protocol so tests can make a name resolve to 10.0.0.1.
public protocol HostResolver: Sendable {
    /// Every address the name resolves to, in the resolver's order.
    func addresses(of host: String) async throws(HostResolutionError) -> [IPAddress]
}

public struct HostResolutionError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The C library's resolver (`getaddrinfo`, as the HTTP client uses), run on NIO's blocking thread
/// pool: `getaddrinfo` blocks for as long as DNS takes and must not hold a cooperative thread.
public struct SystemHostResolver: HostResolver {
    private let threadPool: NIOThreadPool

    public init(threadPool: NIOThreadPool = .singleton) {
        self.threadPool = threadPool
    }

    public func addresses(of host: String) async throws(HostResolutionError) -> [IPAddress] {
        let result: Result<[IPAddress], HostResolutionError>
        do {
            result = try await threadPool.runIfActive { Self.getAddresses(of: host) }
        } catch {
            throw HostResolutionError("cannot resolve \(host): resolver thread pool is shut down")
        }
        return try result.get()
    }

    private static func getAddresses(of host: String) -> Result<[IPAddress], HostResolutionError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0 else {
            return .failure(HostResolutionError("cannot resolve \(host): \(String(cString: gai_strerror(status)))"))
        }
        defer { freeaddrinfo(list) }
        var addresses: [IPAddress] = []
        var entry = list
        while let current = entry?.pointee {
            if let address = current.ai_addr.flatMap({ IPAddress(socketAddress: $0, family: current.ai_family) }),
               !addresses.contains(address) {
                addresses.append(address)
            }
            entry = current.ai_next
        }
        guard !addresses.isEmpty else { return .failure(HostResolutionError("cannot resolve \(host): no addresses")) }
        return .success(addresses)
    }
}

extension IPAddress {
    /// The address of a `sockaddr_in` or `sockaddr_in6`; nil for other families.
    init?(socketAddress: UnsafePointer<sockaddr>, family: Int32) {
        switch family {
        case AF_INET:
            self = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { IPAddress($0.pointee.sin_addr) }
        case AF_INET6:
            self = socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { IPAddress($0.pointee.sin6_addr) }
        default:
            return nil
        }
    }
}
