import Foundation
import Shared

/// The last good full snapshot on disk, so a worker restarted while the control plane is down can
/// still serve (design.md §5.10). Holds token hashes and sealed credentials only, as the wire does.
struct SnapshotFile: Sendable {
    let path: String
    /// `--snapshot-file-max-age`: an older file is refused (issue 10 item 22). Revocations and
    /// deleted grants made since it was saved would come back to life if a worker restarted from
    /// it while the control plane is down; past this age, serving nothing is the safer failure.
    var maxAge: Duration?

    /// Refusal of a file saved longer ago than `maxAge`.
    struct TooOld: Error, CustomStringConvertible {
        let age: TimeInterval
        let maxAge: Duration
        var description: String { "the snapshot file is \(Int(age)) s old, older than the maximum of \(maxAge.components.seconds) s" }
    }

    /// Writes a temporary file and renames it over the old one, so a crash mid-write leaves the
    /// previous snapshot, never half of one. Readable by the worker's user only: it names every
    /// grant's token hash and every server's sealed credentials.
    func save(_ snapshot: FullSnapshot) throws {
        let data = try SnapshotCoding.encoder().encode(snapshot)
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
        guard rename(temporary, path) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    /// The saved snapshot and when it was saved (its age counts from then), or nil when there is
    /// no file yet. Throws `TooOld` past `maxAge`, before reading it.
    func load(now: Date = Date()) throws -> (snapshot: FullSnapshot, savedAt: Date)? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        // A file without a date counts as saved now (rather than refused): it has just been written.
        let savedAt = attributes[.modificationDate] as? Date ?? now
        if let maxAge, now.timeIntervalSince(savedAt) > Double(maxAge.components.seconds) {
            throw TooOld(age: now.timeIntervalSince(savedAt), maxAge: maxAge)
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let snapshot = try SnapshotCoding.decoder().decode(FullSnapshot.self, from: data)
        return (snapshot, savedAt)
    }
}
