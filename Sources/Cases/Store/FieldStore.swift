import Foundation
import Geo

/// Where field work is kept: workers' track fixes by worker and time (at most one per worker and
/// second, WGS84), what each worker's day of track showed (passes, coverage, visits), the key
/// households, the patrol reports and the workers' last positions. A backend implements it over
/// the same connection as its other stores.
public protocol FieldStore: AnyObject {
    /// The worker's last stored fix before `time`, if any (the speed filter starts from it).
    func lastFix(worker: Int64, before time: Date) throws -> TrackFix?
    /// Stores a worker's fixes (in time order); a time already stored for the worker is kept once.
    /// Returns how many were new.
    func insert(worker: Int64, fixes: [TrackFix]) throws -> Int
    /// A worker's fixes in [from, to), in time order.
    func fixes(worker: Int64, from: Date, to: Date) throws -> [TrackFix]
    /// Deletes fixes, positions, patrol days and visits older than `time` (positions are staff's
    /// personal data); returns how many fixes went.
    func prune(before time: Date) throws -> Int

    /// Replaces what a worker's track of a China day (`YYYY-MM-DD`) showed.
    func replacePatrol(_ patrol: WorkerPatrol) throws
    /// Every worker's patrol of a day, per grid.
    func patrol(day: String) throws -> [(worker: Int64, grid: GridPatrol)]
    /// Visits on the days from `first` to `last` (inclusive, `YYYY-MM-DD`).
    func visits(first: String, last: String) throws -> [HouseholdVisit]

    /// Households the county watches (重点家庭, 特殊群体), with the grid each lies in.
    func keyHouseholds() throws -> [WatchedHousehold]
    /// Replaces the key households.
    func save(keyHouseholds: [Int64: KeyHousehold]) throws

    /// Records that a worker filed a case on patrol (for the weekly count of reports).
    func recordReport(caseID: Int64, worker: Int64, at: Date) throws
    /// Patrol reports per worker filed in [from, to).
    func reports(from: Date, to: Date) throws -> [Int64: Int]

    /// Keeps each worker's newest position (an older one than the stored is ignored); each kept
    /// update gets the next feed mark.
    func save(positions: [WorkerPosition]) throws
    /// Every worker's last position.
    func positions() throws -> [WorkerPosition]
    /// Positions updated after a feed mark, with their marks (for the change feed).
    func positions(after mark: Int64) throws -> [(mark: Int64, position: WorkerPosition)]
}

/// Why a household is watched: 重点家庭 (a key family: elderly living alone, left-behind children,
/// hardship) or 特殊群体 (a special group: released prisoners, community corrections, mental illness).
public enum KeyHousehold: String, Sendable, CaseIterable, Hashable {
    case keyFamily = "key_family"
    case specialGroup = "special_group"
}

/// A key household and where it is: the grid its address point lies in (nil outside every grid).
public struct WatchedHousehold: Sendable, Hashable {
    public var householdID: Int64
    public var kind: KeyHousehold
    public var gridCode: String?
    public init(householdID: Int64, kind: KeyHousehold, gridCode: String?) {
        self.householdID = householdID
        self.kind = kind
        self.gridCode = gridCode
    }
}

/// A worker's last reported position (WGS84), from the phone.
public struct WorkerPosition: Sendable, Hashable {
    public var workerID: Int64
    public var at: Date
    public var position: Position
    public var accuracyM: Double?
    public init(workerID: Int64, at: Date, position: Position, accuracyM: Double?) {
        self.workerID = workerID
        self.at = at
        self.position = position
        self.accuracyM = accuracyM
    }
    /// A position older than this is stale (not used to dispatch).
    public static let freshFor: TimeInterval = 15 * 60
    public func isFresh(at now: Date) -> Bool { now.timeIntervalSince(at) <= Self.freshFor }
}
