import Foundation
import Geo

/// Where the grid layer, its versions, plans, households, cameras and staff are kept.
/// SpatiaLite today (`SpatiaLiteGridStore`); PostGIS would be another implementation.
public protocol GridStore {
    func boundaries() throws -> [Boundary]
    /// Adds or replaces boundaries by code, all or nothing.
    func save(boundaries: [Boundary]) throws

    /// The live layer.
    func grids() throws -> [Grid]
    /// A published version's layer, as it was.
    func grids(version: Int) throws -> [Grid]
    func currentVersion() throws -> Int
    func versions() throws -> [LayerVersion]
    /// Makes `grids` the live layer as a new version, in one transaction: households and cameras
    /// move to their new grids, grids recount their households, every move is recorded, and the
    /// plan (if any) is marked published.
    func publish(_ grids: [Grid], note: String, planID: Int64?, effectiveAt: Date, also: [LocatedItems]) throws -> PublishReport
    func moves(version: Int) throws -> [Move]

    func households() throws -> [Household]
    func save(households: [Household]) throws
    func cameras() throws -> [Camera]
    func camera(id: String) throws -> Camera?
    func save(cameras: [Camera]) throws

    func save(workers: [Worker], posts: [GridPost], shifts: [DutyShift]) throws
    func roster(gridCode: String) throws -> DutyRoster
    /// Every grid's roster at once (for dispatching many cases).
    func rosters() throws -> [String: DutyRoster]

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
}

/// Things kept by other modules that sit in grids and must move with them on publish (open cases).
/// `move` is called inside the publish transaction, so it must write through the same database.
public protocol LocatedItems {
    var item: Move.Item { get }
    func located() throws -> [(id: String, position: Position, gridCode: String?)]
    func move(id: String, to gridCode: String?) throws
}

extension GridStore {
    public func publish(_ grids: [Grid], note: String, planID: Int64?, effectiveAt: Date) throws -> PublishReport {
        try publish(grids, note: note, planID: planID, effectiveAt: effectiveAt, also: [])
    }
}
