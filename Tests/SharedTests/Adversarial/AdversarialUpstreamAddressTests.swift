import Foundation
import NIOHTTP1
import Testing

@testable import Shared

/// Issue 10 item 9, in the shared guard: the special-purpose ranges the guard missed, and the
/// static auth headers a worker must never send.
@Suite(.timeLimit(.minutes(1)))
struct AdversarialUpstreamAddressTests {
    @Test(arguments: [
        ("192.0.2.10", "a documentation address"), ("198.51.100.7", "a documentation address"),
        ("203.0.113.9", "a documentation address"), ("192.88.99.1", "a 6to4 relay anycast address"),
        ("2001:db8::1", "a documentation address"), ("2001::1", "an IETF protocol assignment address"),
        ("2001:2::1", "an IETF protocol assignment address"), ("3fff::1", "a documentation address"),
        ("5f00::1", "a segment routing address"), ("100:0:0:1::1", "a dummy IPv6 prefix address"),
    ])
    func documentationRelayAndProtocolRangesAreRefused(address: String, kind: String) {
        #expect(UpstreamAddressPolicy().refusalReason(for: IPAddress(address)!) == "\(address) is \(kind)")
    }

    @Test func neighboursOfTheNewRangesStayReachable() {
        for address in ["192.0.3.1", "198.51.101.1", "203.0.114.1", "192.88.100.1", "2001:db9::1", "2001:200::1", "2606:4700::1"] {
            #expect(UpstreamAddressPolicy().refusalReason(for: IPAddress(address)!) == nil, "\(address)")
        }
    }

    @Test(arguments: ["Metadata-Flavor", "x-aws-ec2-metadata-token", "X-Google-Metadata-Request", "Connection", "Transfer-Encoding", "Host"])
    func staticAuthNeverSendsHopByHopOrMetadataHeaders(header: String) {
        #expect(UpstreamAuth.refusalReason(forHeaderName: header) != nil)
        // As if stored before the rule, or written around the API.
        var headers = HTTPHeaders([("Content-Type", "application/json")])
        UpstreamAuth.headers([(header, "true"), ("X-Api-Key", "k")]).apply(to: &headers)
        #expect(headers[header].allSatisfy { $0 != "true" })
        #expect(headers["X-Api-Key"] == ["k"])
    }
}
