import Foundation
import Grid

/// A kind of database Wangge can keep its data in (SpatiaLite file, PostGIS), chosen from `--db`.
/// Everything above it (domain, server, CLI) sees these protocols and never a line of SQL.
public protocol StoreBackend: Sendable {
    /// Where the data is, for messages: a path, or a URL without its password.
    var location: String { get }
    /// Creates the database if asked and applies every pending migration; returns the steps applied.
    func migrate(create: Bool) throws -> [String]
    /// A connection to an existing database whose schema is this program's: otherwise a `.schema`
    /// error saying what to run. One connection serves one thread at a time.
    func connect(_ role: ConnectionRole) throws -> any StoreConnection
    /// Starts the process's one follower of committed changes (this process's and every other's),
    /// publishing them into `feed` from `position` on. It stops when the returned value goes away.
    func follow(into feed: ChangeFeed, from position: FeedPosition) throws -> any ChangeFollower
}

public enum ConnectionRole: Sendable {
    /// Reads only (a server's reader pool).
    case reader
    /// The one writer of a long-running process (the server's desk): commits are made durable off
    /// its thread and reported through `afterDurable`.
    case writer
    /// A command's connection: each commit is durable when it returns.
    case command
}

/// One connection's stores. Not thread-safe: one task or queue at a time.
public protocol StoreConnection: AnyObject {
    var grids: any GridStore { get }
    var cases: any CaseStore { get }
    var tokens: any TokenStore { get }
    var field: any FieldStore { get }
    /// Runs `body` as one transaction: all or nothing. Inside another it is a savepoint.
    func write<T>(_ body: () throws -> T) throws -> T
    /// Runs `body` as one transaction in which nested writes take no savepoints of their own (a
    /// batch whose operations validate before they write). An operation that fails halfway leaves
    /// its writes in the batch: the caller must then give up the whole batch.
    func writeBatch<T>(_ body: () throws -> T) throws -> T
    /// Calls `done` once everything this connection committed so far is durable (at once for a
    /// `.command` connection), or with the error that made it not so.
    func afterDurable(_ done: @escaping @Sendable (Error?) -> Void)
    /// Where the change feed stands in this database now (for a follower to start from).
    func feedPosition() throws -> FeedPosition
}
