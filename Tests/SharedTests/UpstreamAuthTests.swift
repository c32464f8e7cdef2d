import NIOHTTP1
import Testing
@testable import Shared

@Suite struct UpstreamAuthTests {
    @Test(arguments: [UpstreamAuth.none, .bearer(token: "sk_1"), .headers([("X-Api-Key", "k"), ("X-Org", "o")])])
    func storedFormRoundTrips(auth: UpstreamAuth) throws {
        #expect(try UpstreamAuth(storedType: auth.storedType, credentialsPlaintext: auth.credentialsPlaintext) == auth)
    }

    @Test func storedTypeAndCredentialsMustAgree() {
        #expect(throws: UpstreamAuthStorageError.self) { try UpstreamAuth(storedType: "bearer", credentialsPlaintext: nil) }
        #expect(throws: UpstreamAuthStorageError.self) { try UpstreamAuth(storedType: "none", credentialsPlaintext: Array("{}".utf8)) }
        #expect(throws: UpstreamAuthStorageError.self) { try UpstreamAuth(storedType: "headers", credentialsPlaintext: Array(#"{"token":"x"}"#.utf8)) }
        #expect(throws: UpstreamAuthStorageError.self) { try UpstreamAuth(storedType: "oauth", credentialsPlaintext: Array("{}".utf8)) }
    }

    @Test func descriptionNeverShowsSecrets() {
        #expect("\(UpstreamAuth.bearer(token: "sk_live_1"))" == "bearer")
        #expect("\(UpstreamAuth.headers([("X-Api-Key", "k-secret")]))" == "headers(X-Api-Key)")
    }

    @Test func applyReplacesHeadersOfTheSameName() {
        var headers = HTTPHeaders([("Authorization", "Bearer client"), ("X-Api-Key", "x")])
        UpstreamAuth.bearer(token: "upstream").apply(to: &headers)
        #expect(headers["Authorization"] == ["Bearer upstream"])
        UpstreamAuth.headers([("X-Api-Key", "y")]).apply(to: &headers)
        #expect(headers["X-Api-Key"] == ["y"])
    }
}
