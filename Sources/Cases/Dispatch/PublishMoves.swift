import Foundation
import Geo
import Grid

/// What a publish does to the open cases (the rule both stores apply inside their publish
/// transaction): a case whose place now falls in another grid moves there, with a `moved` event in
/// its timeline; a camera's case goes to the grid the camera now looks at, and keeps its pole's grid
/// beside it. The case keeps its handler; the grid is what changes.
public struct OpenCaseMove: Sendable {
    public var caseID: Int64
    public var gridCode: String?
    public var poleGridCode: String?
    /// Nil when only the pole's grid changed (nothing a person follows).
    public var event: CaseEvent?
    public var move: Move?

    /// - Parameter viewedGrids: camera id → the grid it now looks at.
    public static func moves(of open: [Case], to layer: GridLayer, viewedGrids: [String: String?], version: Int, at now: Date) -> [OpenCaseMove] {
        open.compactMap { c in
            let here = layer.grid(at: c.position)?.code
            var to = here, pole = c.poleGridCode
            if let camera = c.cameraID, let viewed = viewedGrids[camera] { to = viewed; pole = here }
            guard to != c.gridCode || pole != c.poleGridCode else { return nil }
            guard to != c.gridCode else { return OpenCaseMove(caseID: c.id, gridCode: to, poleGridCode: pole) }
            let note = "grid \(c.gridCode ?? "none") → \(to ?? "none") (layer version \(version))"
            return OpenCaseMove(caseID: c.id, gridCode: to, poleGridCode: pole,
                                event: CaseEvent(at: now, actor: "system", source: "publish", action: "moved", from: c.status, to: c.status,
                                                 unit: c.unit, note: note),
                                move: Move(item: .case, itemID: String(c.id), from: c.gridCode, to: to))
        }
    }
}
