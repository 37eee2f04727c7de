import Foundation
import Geo

/// What publishing a layer changes besides the grids, as both stores apply it in their publish
/// transaction: the grids recounted from the household layer, the households and cameras whose
/// grid changes (a camera moves when the grid it looks at changes; its pole's grid may change too).
public struct PublishChanges: Sendable {
    public let layer: GridLayer
    public let grids: [Grid]
    public let households: [(household: Household, to: String?)]
    public let cameras: [(camera: Camera, now: Camera)]
    /// Camera id → the grid it now looks at (for moving the cameras' open cases).
    public let viewedGrids: [String: String?]

    public init(grids: [Grid], households: [Household], cameras: [Camera], previous: [Grid]) {
        let layer = GridLayer(grids: grids)
        self.layer = layer
        let relocated = layer.relocated(cameras, placedBy: previous)
        // Recount from the household layer when there is one; otherwise keep the given figures.
        self.grids = layer.counted(from: households)
        self.households = households.compactMap { h in
            let to = layer.grid(at: h.position)?.code
            return to == h.gridCode ? nil : (h, to)
        }
        self.cameras = zip(cameras, relocated).filter { $0.1.gridCode != $0.0.gridCode || $0.1.viewGridCode != $0.0.viewGridCode }
            .map { ($0.0, $0.1) }
        viewedGrids = Dictionary(relocated.map { ($0.id, $0.viewGridCode) }, uniquingKeysWith: { a, _ in a })
    }

    public func householdMove(_ h: Household, to: String?) -> Move { Move(item: .household, itemID: String(h.id), from: h.gridCode, to: to) }

    /// Nil when only the pole's grid changed.
    public func cameraMove(_ c: Camera, now: Camera) -> Move? {
        now.viewGridCode != c.viewGridCode ? Move(item: .camera, itemID: c.id, from: c.viewGridCode, to: now.viewGridCode) : nil
    }
}
