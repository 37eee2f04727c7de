import Foundation
import Geo

/// The micro-grids of a new grid layer: those of unchanged grids stay as they are; those of grids
/// the layer changes, removes or adds are cut along the new grids (a split grid's micro-grids go to
/// the part they lie in, one across the cut becomes a piece on each side; a merged grid takes its
/// parts' micro-grids), numbered anew in each grid. Each source micro-grid's leader stays with its
/// largest piece.
public struct MicroGridReplacement: Sendable {
    /// The grids whose micro-grids are replaced (those that changed, went or came).
    public var grids: Set<String>
    public var microgrids: [MicroGrid]

    public init(grids: Set<String>, microgrids: [MicroGrid]) {
        self.grids = grids
        self.microgrids = microgrids
    }

    /// Pieces smaller than this (m²) are slivers of the cut, not micro-grids.
    static let sliver = 1.0

    /// nil when nothing changes: no micro-grid lies in a changed grid and no changed grid is new.
    public static func derive(current: [MicroGrid], before: [Grid], after: [Grid], households: () throws -> [Household]) throws -> MicroGridReplacement? {
        let old = Dictionary(before.map { ($0.code, $0.polygon) }, uniquingKeysWith: { a, _ in a })
        let new = Dictionary(after.map { ($0.code, $0.polygon) }, uniquingKeysWith: { a, _ in a })
        let changed = Set(old.keys).union(new.keys).filter { old[$0] != new[$0] }
        let sources = current.filter { changed.contains($0.gridCode) }
        guard !sources.isEmpty else { return nil }
        let ctx = GEOSContext()
        let targets = try after.filter { changed.contains($0.code) }.map { g in (g, try ctx.shape(.polygon(g.polygon)).prepared()) }
        // (source index, target code, polygon, area)
        var pieces: [(source: Int, grid: String, polygon: Polygon, area: Double)] = []
        for (i, m) in sources.enumerated() {
            let shape = try ctx.shape(.polygon(m.polygon))
            for (g, prepared) in targets where prepared.intersects(shape) {
                if prepared.covers(shape) {
                    pieces.append((i, g.code, m.polygon, Geodesy.localArea(of: .polygon(m.polygon))))
                    continue
                }
                for p in try prepared.base.intersection(shape).snapped().geometry.polygons {
                    let a = Geodesy.localArea(of: .polygon(p))
                    if a > sliver { pieces.append((i, g.code, p, a)) }
                }
            }
        }
        var largest: [Int: Int] = [:]
        for (k, p) in pieces.enumerated() where largest[p.source].map({ pieces[$0].area < p.area }) ?? true { largest[p.source] = k }
        var numbers: [String: Int] = [:]
        var out: [MicroGrid] = []
        for (k, p) in pieces.enumerated().sorted(by: { ($0.element.grid, sources[$0.element.source].code) < ($1.element.grid, sources[$1.element.source].code) }) {
            let n = numbers[p.grid, default: 0] + 1
            numbers[p.grid] = n
            guard n < 1000 else { throw PlanError("grid \(p.grid) would have more than 999 micro-grids") }
            let m = sources[p.source]
            out.append(MicroGrid(code: p.grid + String(format: "%03d", n), name: m.name, leaderID: largest[p.source] == k ? m.leaderID : nil, polygon: p.polygon))
        }
        let layer = MicroGridLayer(microgrids: out)
        var counts = [Int](repeating: 0, count: out.count)
        for h in try households() { if let k = layer.locator.locate(h.position.lon, h.position.lat) { counts[k] += h.households } }
        for k in out.indices { out[k].households = counts[k] }
        return MicroGridReplacement(grids: changed, microgrids: out)
    }
}
