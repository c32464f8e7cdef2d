import ArgumentParser
import Logging
import Shared

extension CommonOptions {
    /// What every one-shot command (`migrate`, `reseal`, `oauth-rotate-key`, `account-upstream-cidrs`)
    /// does around its work: logging as configured, one database opened for `body` and closed
    /// afterwards whether `body` returns or throws.
    func withDatabase<Value>(_ body: (Database, Logger) async throws -> Value) async throws -> Value {
        bootstrapLogging(format: logFormat, level: logLevel)
        let logger = Logger(label: "portcullis.controlplane")
        let database = try openDatabase(logger: logger)
        do {
            let value = try await body(database, logger)
            await database.close()
            return value
        } catch {
            await database.close()
            throw error
        }
    }

    /// The key ring a command that seals or unseals secrets cannot run without.
    func requiredKeyRing() throws -> SecretKeyRing {
        guard let keyRing = try keyRing() else { throw ValidationError("--secret-keys (or PORTCULLIS_SECRET_KEYS) is required") }
        return keyRing
    }
}
