import Foundation
import Testing

@testable import Shared

struct PasswordHasherTests {
    /// RFC 7914 section 11, the PBKDF2-HMAC-SHA256 vectors.
    @Test func pbkdf2MatchesTheRFC7914Vectors() {
        let one = PBKDF2.deriveSHA256(password: Array("passwd".utf8), salt: Array("salt".utf8), iterations: 1, length: 64)
        #expect(hex(one) == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783")
    }

    @Test(.timeLimit(.minutes(1)))
    func pbkdf2MatchesTheRFC7914ManyIterationVector() {
        let derived = PBKDF2.deriveSHA256(password: Array("Password".utf8), salt: Array("NaCl".utf8), iterations: 80_000, length: 64)
        #expect(hex(derived) == "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d")
    }

    @Test func aHashVerifiesItsPasswordAndNoOther() {
        let hasher = PasswordHasher(iterations: 1_000)
        let encoded = hasher.hash("correct horse battery")
        #expect(hasher.verify("correct horse battery", against: encoded))
        #expect(!hasher.verify("correct horse batterY", against: encoded))
        #expect(!hasher.verify("", against: encoded))
    }

    @Test func theEncodingCarriesAlgorithmIterationsAndARandomSalt() {
        let hasher = PasswordHasher(iterations: 1_234)
        let first = hasher.hash("same password")
        let second = hasher.hash("same password")
        #expect(first.hasPrefix("$pbkdf2-sha256$i=1234$"))
        #expect(first.split(separator: "$").count == 4)
        #expect(first != second)
    }

    @Test func verificationUsesTheIterationCountStoredInTheHash() {
        let old = PasswordHasher(iterations: 500).hash("a long password")
        #expect(PasswordHasher(iterations: 2_000).verify("a long password", against: old))
    }

    @Test func malformedOrForeignHashesNeverVerify() {
        let hasher = PasswordHasher(iterations: 1_000)
        for encoded in ["", "plain", "$pbkdf2-sha256$i=0$AAAA$AAAA", "$pbkdf2-sha256$i=x$AAAA$AAAA", "$bcrypt$i=10$AAAA$AAAA",
                        "$pbkdf2-sha256$i=1000$%%%%$AAAA", "$pbkdf2-sha256$i=1000$AAAA$", "$pbkdf2-sha256$i=99999999999$AAAA$AAAA"] {
            #expect(!hasher.verify("password", against: encoded), "\(encoded)")
        }
    }

    @Test func theDefaultFollowsOWASP() {
        #expect(PasswordHasher().iterations >= 600_000)
    }

    @Test func constantTimeEqualityComparesContentAndLength() {
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2]))
    }

    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
