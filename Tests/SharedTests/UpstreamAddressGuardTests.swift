import Foundation
import Testing
@testable import Shared

/// A resolver that knows a few names, so tests can make a name resolve inward without DNS.
struct FakeHostResolver: HostResolver {
    let table: [String: [IPAddress]]

    func addresses(of host: String) async throws(HostResolutionError) -> [IPAddress] {
        guard let addresses = table[host] else { throw HostResolutionError("cannot resolve \(host): unknown name") }
        return addresses
    }
}

@Suite(.timeLimit(.minutes(1))) struct UpstreamAddressGuardTests {
    static let resolver = FakeHostResolver(table: [
        "internal.example": [IPAddress("10.0.0.1")!],
        "public.example": [IPAddress("93.184.215.14")!],
        "split.example": [IPAddress("93.184.215.14")!, IPAddress("192.168.1.5")!],
        "v6.example": [IPAddress("2606:4700::1")!],
    ])

    static func guarded(_ policy: UpstreamAddressPolicy = UpstreamAddressPolicy()) -> UpstreamAddressGuard {
        UpstreamAddressGuard(policy: policy, resolver: resolver)
    }

    static func refusal(_ url: String, policy: UpstreamAddressPolicy = UpstreamAddressPolicy()) async -> UpstreamAddressRefusal? {
        do {
            _ = try await guarded(policy).check(url)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        ("https://169.254.169.254/latest/meta-data", "169.254.169.254 is a link-local address (cloud metadata)"),
        ("https://127.0.0.1:8443/mcp", "127.0.0.1 is a loopback address"),
        ("https://[::1]/mcp", "::1 is a loopback address"),
        ("https://[::ffff:127.0.0.1]/mcp", "::ffff:127.0.0.1 is IPv4-mapped 127.0.0.1, a loopback address"),
        ("https://2130706433/mcp", "127.0.0.1 is a loopback address"),
        ("https://0x7f.1/mcp", "127.0.0.1 is a loopback address"),
        ("https://017700000001/mcp", "127.0.0.1 is a loopback address"),
        ("https://127.1/mcp", "127.0.0.1 is a loopback address"),
        ("https://internal.example/mcp", "internal.example resolves to a private address"),
        ("https://split.example/mcp", "split.example resolves to a private address"),
        ("https://172.20.0.3/", "172.20.0.3 is a private address"),
        ("https://100.100.100.200/", "100.100.100.200 is a carrier-grade NAT address"),
        ("https://0.0.0.0/", "0.0.0.0 is the unspecified address"),
        ("https://[::]/", ":: is the unspecified address"),
        ("https://224.0.0.1/", "224.0.0.1 is a multicast address"),
        ("https://[ff02::1]/", "ff02::1 is a multicast address"),
        ("https://[fe80::1]/", "fe80::1 is a link-local address"),
        ("https://[fd00:ec2::254]/", "fd00:ec2::254 is a unique-local address"),
        ("https://[64:ff9b::a00:1]/", "64:ff9b::a00:1 is NAT64 10.0.0.1, a private address"),
        ("https://[2002:a9fe:a9fe::1]/", "2002:a9fe:a9fe::1 is 6to4 169.254.169.254, a link-local address (cloud metadata)"),
    ])
    func specialPurposeAddressIsRefusedWithAReason(url: String, reason: String) async {
        let refusal = await Self.refusal(url)
        #expect(refusal?.kind == .forbiddenAddress)
        #expect(refusal?.reason == reason)
    }

    @Test func publicAddressesPassAndArePinned() async throws {
        let pinned = try await Self.guarded().check("https://public.example:8443/mcp")
        #expect(pinned.host == "public.example")
        #expect(pinned.pinnedAddress == IPAddress("93.184.215.14"))
        #expect(pinned.dnsOverride == ["public.example": "93.184.215.14"])
        #expect(pinned.url.absoluteString == "https://public.example:8443/mcp")

        let v6 = try await Self.guarded().check("https://v6.example/mcp")
        #expect(v6.dnsOverride == ["v6.example": "2606:4700::1"])
        let literal = try await Self.guarded().check("https://[2606:4700::1]/mcp")
        #expect(literal.host == "2606:4700::1")
    }

    @Test func schemeOtherThanHTTPSIsRefused() async {
        let ftp = await Self.refusal("ftp://public.example/")
        #expect(ftp == UpstreamAddressRefusal(.invalidURL, "scheme ftp is not allowed; use https"))
        let http = await Self.refusal("http://public.example/")
        #expect(http?.reason == "plain http upstreams are not allowed by the operator; use https")
        #expect(await Self.refusal("http://public.example/", policy: UpstreamAddressPolicy(allowsPlainHTTP: true)) == nil)
    }

    @Test(arguments: ["not a url", "/relative/path", "https://user:pw@public.example/", "https:///nohost", "https://1.2.3.999/"])
    func unusableURLIsRefused(url: String) async {
        #expect(await Self.refusal(url)?.kind == .invalidURL)
    }

    @Test func unknownNameIsUnresolvable() async {
        let refusal = await Self.refusal("https://nowhere.example/")
        #expect(refusal?.kind == .unresolvable)
        #expect(refusal?.reason.contains("nowhere.example") == true)
    }

    @Test func allowlistedLoopbackIsAccepted() async throws {
        let policy = UpstreamAddressPolicy(allowsPlainHTTP: true, allowedNetworks: [IPNetwork("127.0.0.0/8")!, IPNetwork("::1/128")!])
        #expect(try await Self.guarded(policy).check("http://127.0.0.1:9000/mcp").pinnedAddress == IPAddress("127.0.0.1"))
        #expect(try await Self.guarded(policy).check("http://[::1]:9000/mcp").pinnedAddress == IPAddress("::1"))
        #expect(try await Self.guarded(policy).check("http://[::ffff:127.0.0.1]/").pinnedAddress == IPAddress("::ffff:127.0.0.1"))
        // The allowlist covers exactly what it says.
        #expect(await Self.refusal("http://10.0.0.1/", policy: policy)?.reason == "10.0.0.1 is a private address")
    }

    @Test func localhostResolvedForRealIsRefused() async {
        let refusal: UpstreamAddressRefusal?
        do {
            _ = try await UpstreamAddressGuard(policy: UpstreamAddressPolicy()).check("https://localhost:8443/mcp")
            refusal = nil
        } catch {
            refusal = error
        }
        #expect(refusal?.kind == .forbiddenAddress)
        #expect(refusal?.reason == "localhost resolves to a loopback address")
    }

    @Test func localhostResolvedForRealIsAcceptedWhenAllowlisted() async throws {
        let policy = UpstreamAddressPolicy(allowedNetworks: [IPNetwork("127.0.0.0/8")!, IPNetwork("::1")!])
        let pinned = try await UpstreamAddressGuard(policy: policy).check("https://localhost/mcp")
        #expect(pinned.addresses.allSatisfy { $0 == IPAddress("::1") || IPNetwork("127.0.0.0/8")!.contains($0) })
    }
}

@Suite struct IPAddressParsingTests {
    @Test(arguments: [
        ("2130706433", "127.0.0.1"), ("0x7f.1", "127.0.0.1"), ("017700000001", "127.0.0.1"), ("127.1", "127.0.0.1"),
        ("0x7F000001", "127.0.0.1"), ("127.0.1", "127.0.0.1"), ("0177.0.0.01", "127.0.0.1"), ("10.0.0.1", "10.0.0.1"),
        ("[::1]", "::1"), ("::ffff:127.0.0.1", "::ffff:127.0.0.1"),
    ])
    func hostLiteralIsReadLikeInetAton(host: String, address: String) {
        #expect(IPAddress(hostLiteral: host) == IPAddress(address))
    }

    @Test(arguments: ["256.0.0.1", "1.2.3.4.5", "4294967296", "0x", "08", "1..2", "example.com", "", "1.2.3.4 "])
    func notAnAddressLiteral(host: String) {
        #expect(IPAddress(hostLiteral: host) == nil)
    }

    @Test func configurationAddressesAreCanonicalOnly() {
        #expect(IPAddress("127.1") == nil)
        #expect(IPAddress("010.0.0.1") == nil)
        #expect(IPAddress("10.0.0.1")?.description == "10.0.0.1")
        #expect(IPAddress("2001:DB8::0:1")?.description == "2001:db8::1")
    }

    @Test func networksContainTheirAddresses() {
        let v4 = IPNetwork("172.16.0.0/12")!
        #expect(v4.contains(IPAddress("172.31.255.255")!))
        #expect(!v4.contains(IPAddress("172.32.0.0")!))
        #expect(!v4.contains(IPAddress("::ffff:172.16.0.1")!))
        #expect(IPNetwork("fc00::/7")!.contains(IPAddress("fdff::1")!))
        #expect(IPNetwork("0.0.0.0/0")!.contains(IPAddress("8.8.8.8")!))
        #expect(IPNetwork("127.0.0.1")?.description == "127.0.0.1/32")
    }

    @Test(arguments: ["10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/", "fc00::/129", "nonsense/8", "10.0.0.0/-1"])
    func malformedOrMisalignedNetworkIsRejected(text: String) {
        #expect(IPNetwork(text) == nil)
    }
}
