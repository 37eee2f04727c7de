import Foundation

/// Where the workers' tracks are kept: fixes by worker and time (at most one per worker and
/// second), in WGS84. A backend implements it over the same connection as its other stores.
public protocol FieldStore: AnyObject {
    /// The worker's last stored fix before `time`, if any (the speed filter starts from it).
    func lastFix(worker: Int64, before time: Date) throws -> TrackFix?
    /// Stores a worker's fixes (in time order); a time already stored for the worker is kept once.
    /// Returns how many were new.
    func insert(worker: Int64, fixes: [TrackFix]) throws -> Int
    /// A worker's fixes in [from, to), in time order.
    func fixes(worker: Int64, from: Date, to: Date) throws -> [TrackFix]
    /// Deletes fixes older than `time` (positions are staff's personal data); returns how many.
    func prune(before time: Date) throws -> Int
}
