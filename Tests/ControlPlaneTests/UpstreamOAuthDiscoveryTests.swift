import Testing

@testable import ControlPlane

/// The pure parts of upstream OAuth discovery (issue 14 item 5): the challenge's parameters and the
/// well-known URLs (RFC 9728 §3.1, RFC 8414 §3.1: the path goes after the well-known prefix).
struct UpstreamOAuthDiscoveryTests {
    @Test func theChallengesParametersAreReadOnlyWhereAParameterStarts() {
        let header = #"Bearer error="invalid_token", error_description="no x_scope=evil here", resource_metadata="https://up.example/.well-known/oauth-protected-resource/mcp", scope="files:read files:write""#
        #expect(UpstreamOAuthDiscovery.parameter("resource_metadata", in: header) == "https://up.example/.well-known/oauth-protected-resource/mcp")
        #expect(UpstreamOAuthDiscovery.parameter("scope", in: header) == "files:read files:write")
        #expect(UpstreamOAuthDiscovery.parameter("scope", in: #"Bearer x_scope="evil""#) == nil)
        #expect(UpstreamOAuthDiscovery.parameter("realm", in: "Bearer realm=mcp, scope=a") == "mcp")
    }

    @Test func wellKnownURLsInsertThePathThenFallBackToTheRoot() {
        #expect(UpstreamOAuthDiscovery.wellKnown("oauth-protected-resource", for: "https://up.example:8443/v1/mcp/") == [
            "https://up.example:8443/.well-known/oauth-protected-resource/v1/mcp", "https://up.example:8443/.well-known/oauth-protected-resource",
        ])
        #expect(UpstreamOAuthDiscovery.wellKnown("oauth-authorization-server", for: "http://127.0.0.1:9000/") == [
            "http://127.0.0.1:9000/.well-known/oauth-authorization-server",
        ])
        #expect(UpstreamOAuthDiscovery.sameURL("http://as.example/", "http://as.example"))
        #expect(!UpstreamOAuthDiscovery.sameURL("http://as.example/a", "http://as.example/b"))
        #expect(!UpstreamOAuthDiscovery.isWebURL("http://as.example/\r\nX: 1") && !UpstreamOAuthDiscovery.isWebURL("file:///etc/passwd"))
    }
}
