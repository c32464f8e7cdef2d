/// Why an upstream URL was refused at registration, in words an admin can act on.
public struct UpstreamAddressRefusal: Error, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// Not a usable absolute URL, or a scheme other than https (or http when allowed).
        case invalidURL
        /// The host does not resolve.
        case unresolvable
        /// The host is, or resolves to, an address that is not allowed.
        case forbiddenAddress
    }

    public let kind: Kind
    /// One sentence, e.g. "169.254.169.254 is a link-local address (cloud metadata)".
    public let reason: String

    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    public var description: String { reason }
}
