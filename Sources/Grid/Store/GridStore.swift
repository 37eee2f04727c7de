import Foundation
import Geo

/// Where the grid layer, its versions, plans, households, cameras and staff are kept. A backend
/// (SpatiaLite, PostGIS) implements it over one connection; writes that must go together run inside
/// the connection's `write { … }`.
public protocol GridStore: AnyObject {
    func boundaries() throws -> [Boundary]
    /// Adds or replaces boundaries by code, all or nothing.
    func save(boundaries: [Boundary]) throws

    /// The live layer.
    func grids() throws -> [Grid]
    /// A published version's layer, as it was.
    func grids(version: Int) throws -> [Grid]
    func currentVersion() throws -> Int
    /// The version in force at a time: the latest to take effect by then (nil before the first).
    func version(at date: Date) throws -> Int?
    func versions() throws -> [LayerVersion]
    /// Makes `grids` the live layer as a new version, in one transaction: households, cameras and
    /// open cases move to their new grids (each moved case gets a `moved` event), grids recount
    /// their households, every move is recorded, and the plan (if any) is marked published.
    func publish(_ grids: [Grid], note: String, planID: Int64?, effectiveAt: Date) throws -> PublishReport
    func moves(version: Int) throws -> [Move]

    func households() throws -> [Household]
    func household(id: Int64) throws -> Household?
    func save(households: [Household]) throws
    func cameras() throws -> [Camera]
    func camera(id: String) throws -> Camera?
    func save(cameras: [Camera]) throws

    func save(workers: [Worker], posts: [GridPost], shifts: [DutyShift]) throws
    func worker(id: Int64) throws -> Worker?
    func roster(gridCode: String) throws -> DutyRoster
    /// Every grid's roster at once (for dispatching many cases).
    func rosters() throws -> [String: DutyRoster]
    /// The grids a worker is posted to (any role).
    func grids(ofWorker id: Int64) throws -> [String]

    func createPlan(name: String, fromVersion: Int?) throws -> Plan
    func plan(id: Int64) throws -> Plan
    func plans() throws -> [Plan]
    func planGrids(id: Int64) throws -> [Grid]
    /// Replaces a draft plan's layer, all or nothing.
    func savePlanGrids(id: Int64, _ grids: [Grid]) throws
}

public struct PublishReport: Sendable {
    public var version: Int
    public var moves: [Move]
    public var grids: [Grid]
    public init(version: Int, moves: [Move], grids: [Grid]) {
        self.version = version
        self.moves = moves
        self.grids = grids
    }
}
