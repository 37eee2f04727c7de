import Cases
import Foundation
import Grid
#if canImport(Glibc)
import Glibc
#endif

/// Makes a writer's commits durable off its own thread: group commit with the log flush apart,
/// as database servers do it.
///
/// With `synchronous=FULL`, every COMMIT waits for the disk on the writer's thread, and nothing else
/// is written meanwhile. Here the connection commits with `synchronous=NORMAL` (in WAL mode: the
/// commit's frames are written to the WAL, checkpoints still sync the WAL before copying and the
/// database after) and this flusher `fdatasync`s the WAL on its own thread, then tells the callers
/// of every commit written before the sync began. The writer goes on with the next transaction
/// while the disk works. A caller is told only after its commit is on disk, as with FULL.
///
/// What changes: other connections may read a commit a few milliseconds before it is durable (a
/// power cut then loses it, and it was never acknowledged). A process crash loses nothing written.
public final class WALFlusher: Sendable {
    // The file descriptor is opened once and only read by the flusher's queue.
    private let wal: Int32
    /// One sync for everyone who arrived meanwhile.
    private let syncs: Rounds<@Sendable (Error?) -> Void>

    /// Switches `database` (a WAL-mode connection that will be used for writes) to NORMAL and
    /// opens its WAL file for syncing. Commits made through it are durable only once this
    /// flusher has reported them.
    public init(database: Database) throws(StoreError) {
        try database.execute("PRAGMA synchronous=NORMAL")
        // A checkpoint still syncs on the writer's thread (the WAL, then the database): fewer and
        // larger ones (up to ~40 MB of log) cost the writer less than SQLite's 4 MB default.
        try database.execute("PRAGMA wal_autocheckpoint=10000")
        let walPath = database.path + "-wal"
        let fd = open(walPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError(.unavailable, "cannot open \(walPath) to sync it", detail: String(cString: strerror(errno))) }
        // Its directory entry too, once: SQLite under NORMAL does not sync the directory.
        let folder = (walPath as NSString).deletingLastPathComponent
        let dir = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 { fsync(dir); close(dir) }
        wal = fd
        syncs = Rounds(queue: DispatchQueue(label: "wangge.wal-flusher", qos: .userInitiated)) { waiting in
            let error: Error? = fdatasync(fd) == 0 ? nil : StoreError(.unavailable, "cannot sync the write-ahead log", detail: String(cString: strerror(errno)))
            for w in waiting { w(error) }
        }
    }

    deinit { close(wal) }

    /// Calls `done` once everything committed before this call is on disk (nil), or with the
    /// error if the sync failed (the commit may then be lost: it must not be acknowledged).
    public func afterSync(_ done: @escaping @Sendable (Error?) -> Void) { syncs.request(done) }
}
