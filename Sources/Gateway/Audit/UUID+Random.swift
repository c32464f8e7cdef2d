import Foundation
import NIOConcurrencyHelpers

extension UUID {
    /// A version 4 UUID from the system's generator. Foundation's `UUID()` reads `/dev/urandom`
    /// through a file descriptor on Linux, a cost every audit event paid; the ids come from
    /// `RandomBlock`, so the kernel is asked once per 256 ids, not twice per id (issue 11: two
    /// `getrandom` calls per audit event, four per call).
    static func random() -> UUID {
        var uuid = RandomBlock.shared.sixteenBytes()
        uuid.6 = (uuid.6 & 0x0F) | 0x40  // version 4
        uuid.8 = (uuid.8 & 0x3F) | 0x80  // RFC 4122 variant
        return UUID(uuid: uuid)
    }
}

/// Bytes of the kernel's CSPRNG (`arc4random_buf`, which is `getrandom` in glibc 2.36+), fetched
/// 4 KiB at a time and handed out once each. For identifiers, which must be unpredictable and
/// unique, not secret from the process itself; keys and tokens keep drawing from the system
/// generator directly.
final class RandomBlock: Sendable {
    static let shared = RandomBlock()
    static let size = 4096

    private struct State {
        var bytes = [UInt8](repeating: 0, count: RandomBlock.size)
        /// Bytes of `bytes` already handed out; a full block is refilled before the next read.
        var used = RandomBlock.size
    }

    private let state = NIOLockedValueBox(State())

    func sixteenBytes() -> uuid_t {
        state.withLockedValue { state in
            if state.used + 16 > Self.size {
                state.bytes.withUnsafeMutableBytes { arc4random_buf($0.baseAddress!, $0.count) }
                state.used = 0
            }
            defer { state.used += 16 }
            return state.bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: state.used, as: uuid_t.self) }
        }
    }
}
