import Shared
import Testing

@testable import Gateway
import JSON

/// design.md §7: argument recording modes and credential masking in audit rows.
struct AuditedArgumentsTests {
    @Test(arguments: [
        ("token ghp_16C7e42F292c6912E7710c838347Ae178B4a here", "token [MASKED] here"),
        ("AKIAIOSFODNN7EXAMPLE", "[MASKED]"),
        ("key=sk-proj-abcdefghijklmnopqrstuvwx", "key=[MASKED]"),
        ("Authorization: Bearer abc.def-ghi_jkl", "Authorization: [MASKED]"),
        ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U end", "jwt [MASKED] end"),
        ("pcs_gt_0123456789abcdefghijABCDEFGHIJ123456", "[MASKED]"),
    ])
    func credentialsInStringsAreMasked(input: String, expected: String) {
        #expect(SecretMasking.masked(input) == expected)
    }

    @Test(arguments: ["ask-me-anything-about-pods-please", "runpod/pytorch:2.1.0-py3.10", "sk-short", "the bearer of news", "desk-lamp"])
    func ordinaryTextIsLeftAlone(input: String) {
        #expect(SecretMasking.masked(input) == input)
    }

    static let runEndpoint: JSONValue = [
        "endpointId": "ep_1",
        "input": ["prompt": "hello", "apiToken": "ghp_16C7e42F292c6912E7710c838347Ae178B4a"],
        "s3Config": ["accessId": "AKIAIOSFODNN7EXAMPLE", "accessSecret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "bucketName": "b"],
    ]

    @Test func keysModeKeepsOnlyTheSortedTopLevelNames() {
        let audited = AuditedArguments(Self.runEndpoint, mode: .keys)
        #expect(audited.keys == ["endpointId", "input", "s3Config"])
        #expect(audited.values == nil)
    }

    @Test func redactedModeBlanksSecretMembersAndMasksCredentials() {
        let values = AuditedArguments(Self.runEndpoint, mode: .redacted).values
        #expect(values?["s3Config"]?["accessSecret"] == AuditedArguments.redacted)
        #expect(values?["s3Config"]?["accessId"] == .string(SecretMasking.mask))
        #expect(values?["input"]?["apiToken"] == AuditedArguments.redacted)
        #expect(values?["input"]?["prompt"] == "hello")
        #expect(values?["s3Config"]?["bucketName"] == "b")
        let registry = AuditedArguments(["name": "ghcr", "username": "bot", "password": "hunter2-but-longer"], mode: .redacted)
        #expect(registry.values?["password"] == AuditedArguments.redacted)
    }

    @Test func fullModeKeepsValuesButStillMasksCredentials() {
        let values = AuditedArguments(Self.runEndpoint, mode: .full).values
        #expect(values?["s3Config"]?["accessSecret"] == "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
        #expect(values?["input"]?["apiToken"] == .string(SecretMasking.mask))
        #expect(values?["s3Config"]?["accessId"] == .string(SecretMasking.mask))
    }
}
