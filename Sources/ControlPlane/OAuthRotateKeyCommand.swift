import ArgumentParser
import Logging
import Shared

/// `controlplane oauth-rotate-key`: a new signing key for OAuth access tokens (issue 14 item 2).
/// The previous key keeps verifying tokens for `--overlap` seconds, so tokens issued just before
/// the rotation stay good until they expire; keys whose overlap ended are deleted.
struct OAuthRotateKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oauth-rotate-key",
        abstract: "Make a new OAuth signing key; the previous one verifies tokens for --overlap more seconds."
    )

    @Option(help: "Public base URL of the control plane (the OAuth issuer). Env: PORTCULLIS_PUBLIC_URL.")
    var publicURL: String = EnvironmentVariables.string("PORTCULLIS_PUBLIC_URL") ?? "http://127.0.0.1:8080"

    @Option(help: "Seconds the previous key stays valid; at least the access-token lifetime.")
    var overlap: Int = 3600

    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard overlap >= 0 else { throw ValidationError("--overlap must be 0 or more seconds") }
    }

    func run() async throws {
        let keyRing = try common.requiredKeyRing()
        try await common.withDatabase { database, logger in
            let keys = OAuthSettings(issuer: publicURL, keySealer: SecretSealer(keyRing: keyRing, purpose: .oauthSigningKeys))
                .signingKeys(database: database)!
            let kid = try await keys.rotate(overlap: .seconds(overlap))
            logger.info("new OAuth signing key", metadata: ["key.kid": "\(kid)", "key.overlap_seconds": "\(overlap)"])
        }
    }
}
