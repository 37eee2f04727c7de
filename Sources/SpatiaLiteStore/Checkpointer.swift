import Foundation
import Grid

/// Copies the write-ahead log into the database file from a connection and thread of its own, once
/// a second (a passive checkpoint never blocks the writer). Left to SQLite alone, each checkpoint
/// runs inside whichever commit crosses the log's threshold, and that intake (with every one waiting
/// for the same group commit) waits for the whole copy and the database file's fsync: the tail of
/// the intake latency. The writer still checkpoints when its threshold is crossed, which is what
/// lets the log start again from the beginning; by then this has copied nearly everything.
final class Checkpointer: @unchecked Sendable {
    // @unchecked: the connection is used only on `queue`.
    private let database: Database
    private let queue = DispatchQueue(label: "wangge.checkpoint", qos: .utility)
    private let timer: DispatchSourceTimer

    init(path: String, interval: TimeInterval = 1) throws {
        database = try Database(path: path)
        timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler { [database] in try? database.execute("PRAGMA wal_checkpoint(PASSIVE)") }
        timer.resume()
    }

    deinit { timer.cancel() }
}
