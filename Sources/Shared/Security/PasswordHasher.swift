import Crypto
import Foundation
import NIOPosix

/// Hashes and verifies member passwords with PBKDF2-HMAC-SHA256 (design.md §2).
///
/// The stored string is self-describing, in the PHC string format:
/// `$pbkdf2-sha256$i=600000$<salt>$<hash>` (unpadded base64), so the iteration count can be raised
/// later while old hashes keep verifying with the count they were made with.
public struct PasswordHasher: Sendable {
    /// OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256.
    public static let defaultIterations = 600_000
    static let algorithm = "pbkdf2-sha256"
    static let saltLength = 16
    static let hashLength = 32

    /// Iterations for new hashes. Tests use a small number; verification reads it from the hash.
    public let iterations: Int

    public init(iterations: Int = PasswordHasher.defaultIterations) {
        precondition(iterations > 0)
        self.iterations = iterations
    }

    public func hash(_ password: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<Self.saltLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let derived = PBKDF2.deriveSHA256(password: Array(password.utf8), salt: salt, iterations: iterations, length: Self.hashLength)
        return "$\(Self.algorithm)$i=\(iterations)$\(Self.base64(salt))$\(Self.base64(derived))"
    }

    /// True when `password` matches `encoded`. A malformed or foreign `encoded` never matches.
    public func verify(_ password: String, against encoded: String) -> Bool {
        let fields = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 5, fields[0].isEmpty, fields[1] == Self.algorithm,
              fields[2].hasPrefix("i="), let count = Int(fields[2].dropFirst(2)), count > 0, count <= 10_000_000,
              let salt = Self.bytes(base64: fields[3]), let expected = Self.bytes(base64: fields[4]), !expected.isEmpty
        else { return false }
        let derived = PBKDF2.deriveSHA256(password: Array(password.utf8), salt: salt, iterations: count, length: expected.count)
        return constantTimeEquals(derived, expected)
    }

    /// Spends the same time as verifying a real hash, for a login whose email matches nobody:
    /// otherwise the response time would tell an attacker which emails have accounts.
    public func verifyAgainstNothing(_ password: String) {
        _ = PBKDF2.deriveSHA256(password: Array(password.utf8), salt: [0], iterations: iterations, length: Self.hashLength)
    }

    /// `hash` on a thread pool: hundreds of milliseconds of CPU must not stall an event loop.
    public func hashOffloaded(_ password: String) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { hash(password) }
    }

    /// `verify` on a thread pool; with `encoded == nil`, `verifyAgainstNothing` and false.
    public func verifyOffloaded(_ password: String, against encoded: String?) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive {
            guard let encoded else {
                verifyAgainstNothing(password)
                return false
            }
            return verify(password, against: encoded)
        }
    }

    private static func base64(_ bytes: [UInt8]) -> String {
        String(Data(bytes).base64EncodedString().prefix { $0 != "=" })
    }

    private static func bytes(base64 text: Substring) -> [UInt8]? {
        let padding = String(repeating: "=", count: (4 - text.count % 4) % 4)
        return Data(base64Encoded: String(text) + padding).map(Array.init)
    }
}

/// Compares two byte strings in time that depends only on their lengths.
public func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
    return difference == 0
}
