import ArgumentParser
import Shared

/// Settings of the control plane beyond `CommonOptions`; each help text names its environment variable.
struct ControlPlaneOptions: ParsableArguments {
    @Option(help: "Address to listen on. Env: PORTCULLIS_HOST.")
    var host: String = EnvironmentVariables.string("PORTCULLIS_HOST") ?? "127.0.0.1"

    @Option(help: "Port to listen on. Env: PORTCULLIS_PORT.")
    var port: Int = EnvironmentVariables.int("PORTCULLIS_PORT") ?? 8080

    @Option(help: "Worker tokens (pcs_wk_...) accepted from gateway workers, comma-separated. Env: PORTCULLIS_WORKER_TOKENS.")
    var workerTokens: String = EnvironmentVariables.string("PORTCULLIS_WORKER_TOKENS") ?? ""

    @Option(help: "Public base URL of the gateway, used in the URLs handed out with grants. Env: PORTCULLIS_PUBLIC_GATEWAY_URL.")
    var publicGatewayURL: String = EnvironmentVariables.string("PORTCULLIS_PUBLIC_GATEWAY_URL") ?? "http://127.0.0.1:8081"

    @Option(help: "Seconds between background discoveries of every server's tools (SPEC 5.7). Env: PORTCULLIS_REDISCOVERY_INTERVAL.")
    var rediscoveryInterval: Int = EnvironmentVariables.int("PORTCULLIS_REDISCOVERY_INTERVAL") ?? 300

    @Option(help: "PBKDF2-SHA256 iterations for new password hashes (existing hashes keep theirs). Env: PORTCULLIS_PASSWORD_HASH_ITERATIONS.")
    var passwordHashIterations: Int = EnvironmentVariables.int("PORTCULLIS_PASSWORD_HASH_ITERATIONS") ?? PasswordHasher.defaultIterations

    @Option(help: "Whether anyone may sign up (open) or only existing admins add members (closed). Env: PORTCULLIS_SIGNUP.")
    var signup: SignupMode = EnvironmentVariables.string("PORTCULLIS_SIGNUP").flatMap(SignupMode.init(rawValue:)) ?? .open
}

extension ControlPlaneOptions {
    func validate() throws {
        guard passwordHashIterations >= 1000 else { throw ValidationError("--password-hash-iterations must be at least 1000") }
        guard rediscoveryInterval > 0 else { throw ValidationError("--rediscovery-interval must be at least 1 second") }
        for token in workerTokenList where SecretToken.parse(token, as: .worker) == nil {
            throw ValidationError("--worker-tokens: \(token.prefix(7))... is not a worker token (make one with `controlplane new-token worker`)")
        }
    }

    /// `--worker-tokens` as a list.
    var workerTokenList: [String] {
        workerTokens.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

enum SignupMode: String, ExpressibleByArgument, CaseIterable, Sendable {
    case open, closed
}
