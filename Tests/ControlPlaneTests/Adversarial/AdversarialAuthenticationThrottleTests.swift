import Foundation
import HTTPTypes
import Shared
import Testing

@testable import ControlPlane
import JSON

/// Issue 10 item 17: signup and login limits hold behind a load balancer, per email as well as per
/// client, for IPv6 clients too, and password hashing cannot pile up.
@Suite(.timeLimit(.minutes(2)))
struct AdversarialAuthenticationThrottleTests {
    static let proxies = TrustedProxies([IPNetwork("10.0.0.0/8")!])

    private func forwarded(_ value: String) -> HTTPFields {
        [TrustedProxies.forwardedFor: value]
    }

    @Test func theRightmostUntrustedForwardedHopIsTheClient() {
        // The client wrote the leftmost entry itself; the balancers appended the rest.
        let key = Self.proxies.clientKey(peer: "10.0.0.5", headers: forwarded("6.6.6.6, 203.0.113.7, 10.1.2.3"))
        #expect(key == "203.0.113.7")
    }

    @Test func forwardedForFromAnUntrustedPeerIsIgnored() {
        #expect(Self.proxies.clientKey(peer: "198.51.100.1", headers: forwarded("203.0.113.7")) == "198.51.100.1")
        #expect(TrustedProxies().clientKey(peer: "10.0.0.5", headers: forwarded("203.0.113.7")) == "10.0.0.5")
    }

    @Test func ipv6ClientsShareOneBucketPerSlash64() {
        let first = Self.proxies.clientKey(peer: "2001:db8:1:2::1", headers: [:])
        let second = Self.proxies.clientKey(peer: "2001:db8:1:2:ffff:ffff:ffff:ffff", headers: [:])
        let elsewhere = Self.proxies.clientKey(peer: "2001:db8:1:3::1", headers: [:])
        #expect(first == second && first != elsewhere)
    }

    @Test func loginsBehindATrustedProxyAreLimitedPerForwardedClient() async throws {
        try await withLiveAPI(configure: {
            $0.authenticationRate = .init(burst: 2, refillInterval: 600)
            $0.trustedProxies = TrustedProxies([IPNetwork("127.0.0.0/8")!, IPNetwork("::1")!])
        }) { api, _, _ in
            func login(from client: String, email: String) async throws -> HTTPResponse.Status {
                let body: JSONValue = ["email": .string(email), "password": "wrong password!"]
                return try await api.client.execute(
                    uri: "/v1/login", method: .post,
                    headers: [.contentType: "application/json", TrustedProxies.forwardedFor: client], body: .init(string: body.serialized())
                ).status
            }
            var statuses: [HTTPResponse.Status] = []
            for email in ["a@example.com", "b@example.com", "c@example.com"] {
                statuses.append(try await login(from: "203.0.113.1", email: email))
            }
            // Another client behind the same balancer has its own bucket.
            statuses.append(try await login(from: "203.0.113.2", email: "d@example.com"))
            #expect(statuses == [.unauthorized, .unauthorized, .tooManyRequests, .unauthorized])
        }
    }

    @Test func loginAttemptsAreLimitedPerEmailWhateverTheClient() async throws {
        try await withLiveAPI(configure: {
            $0.authenticationRate = .init(burst: 2, refillInterval: 600)
            $0.trustedProxies = TrustedProxies([IPNetwork("127.0.0.0/8")!, IPNetwork("::1")!])
        }) { api, _, _ in
            var statuses: [HTTPResponse.Status] = []
            for client in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
                let body: JSONValue = ["email": "Victim@example.com", "password": .string("guess \(client)")]
                statuses.append(try await api.client.execute(
                    uri: "/v1/login", method: .post,
                    headers: [.contentType: "application/json", TrustedProxies.forwardedFor: client], body: .init(string: body.serialized())
                ).status)
            }
            #expect(statuses == [.unauthorized, .unauthorized, .tooManyRequests])
        }
    }

    @Test func aPasswordHashBeyondTheConcurrencyLimitIsRefusedAtOnceWith503() async throws {
        let slots = PasswordHashingSlots(hasher: fastPasswordHasher, capacity: 1)
        try await slots.withSlot {
            let error = await #expect(throws: ProblemError.self) { _ = try await slots.hash("correct horse battery") }
            #expect(error?.status == .serviceUnavailable && error?.headers[.retryAfter] == "1")
        }
        // The slot is free again once the first hash is done.
        let hash = try await slots.hash("correct horse battery")
        #expect(try await slots.verify("correct horse battery", against: hash))
    }
}
