/// Checks an account's chain one stored event at a time, in `seq` order, and stops at the first
/// broken link. Fed in batches, so a verifier never holds the whole log.
public struct AuditChainWalk: Sendable {
    public enum Break: String, Sendable {
        /// A `seq` is missing: events were removed (or the walk did not start where the chain does).
        case missingEvent = "missing_event"
        /// `prev_hash` is not the hash of the event before it.
        case previousHashMismatch = "prev_hash_mismatch"
        /// `hash` is not HMAC(key, prev_hash || canonical(event)): the event was changed, or the
        /// link was computed without the key (a database writer recomputing the chain).
        case hashMismatch = "hash_mismatch"
        /// The row names no key version, or one the ring no longer holds.
        case unknownKeyVersion = "unknown_key_version"
        /// The account's chain head counts events that are no longer stored.
        case missingTail = "missing_tail"
    }

    public struct BrokenLink: Sendable, Equatable {
        public let reason: Break
        /// The seq the walk expected next.
        public let expectedSeq: Int64
        /// The stored event where the break shows; nil for a missing tail.
        public let event: AuditEvent?
    }

    public private(set) var checked = 0
    public private(set) var lastSeq: Int64
    private var lastHash: [UInt8]
    private let keys: AuditChainKeys

    /// Starts after `seq` whose hash is `hash`: the genesis (0, zeros), or a retention anchor.
    public init(keys: AuditChainKeys, afterSeq seq: Int64 = 0, hash: [UInt8] = AuditChain.genesisHash) {
        self.keys = keys
        lastSeq = seq
        lastHash = hash
    }

    /// Checks the next stored event; returns the break it shows, if any.
    public mutating func check(_ event: AuditEvent, prevHash: [UInt8], hash: [UInt8], keyVersion: String?) -> BrokenLink? {
        let expected = lastSeq + 1
        if event.seq != expected { return BrokenLink(reason: .missingEvent, expectedSeq: expected, event: event) }
        if prevHash != lastHash { return BrokenLink(reason: .previousHashMismatch, expectedSeq: expected, event: event) }
        guard let key = keyVersion.flatMap(keys.key(version:)) else {
            return BrokenLink(reason: .unknownKeyVersion, expectedSeq: expected, event: event)
        }
        if AuditChain.hash(previous: prevHash, event: event, key: key) != hash {
            return BrokenLink(reason: .hashMismatch, expectedSeq: expected, event: event)
        }
        checked += 1
        lastSeq = event.seq
        lastHash = hash
        return nil
    }

    /// After the last stored event: the head must not be ahead of what was walked.
    public func finish(headSeq: Int64) -> BrokenLink? {
        headSeq > lastSeq ? BrokenLink(reason: .missingTail, expectedSeq: lastSeq + 1, event: nil) : nil
    }
}
