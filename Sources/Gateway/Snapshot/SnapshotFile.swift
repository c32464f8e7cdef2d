import Foundation
import Shared

/// The last good full snapshot on disk, so a worker restarted while the control plane is down can
/// still serve (SPEC 5.10). Holds token hashes and sealed credentials only, as the wire does.
struct SnapshotFile: Sendable {
    let path: String

    /// Writes a temporary file and renames it over the old one (`.atomic`), so a crash mid-write
    /// leaves the previous snapshot, never half of one.
    func save(_ snapshot: FullSnapshot) throws {
        let data = try SnapshotCoding.encoder().encode(snapshot)
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// The saved snapshot and when it was saved (its age counts from then), or nil when there is
    /// no file yet.
    func load() throws -> (snapshot: FullSnapshot, savedAt: Date)? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let snapshot = try SnapshotCoding.decoder().decode(FullSnapshot.self, from: data)
        return (snapshot, attributes[.modificationDate] as? Date ?? Date())
    }
}
