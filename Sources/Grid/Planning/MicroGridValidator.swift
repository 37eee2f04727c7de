import Foundation
import Geo

/// Checks that micro-grids (微网格) tile their grids: each valid, none overlapping a sibling, none
/// reaching outside its grid, no part of a grid in none of them. Grids without micro-grids are not
/// checked (a county may have them in some towns only).
///
/// Most grids pass `CoverageCheck` (edges matched, no overlay); only the grids it cannot clear are
/// measured with GEOS, so the problems and their areas are GEOS's, as for grids.
public struct MicroGridValidator {
    /// Overlaps, gaps and overhangs smaller than this (m²) are numerical noise.
    public var toleranceSquareMetres: Double

    public init(toleranceSquareMetres: Double = 1) { self.toleranceSquareMetres = toleranceSquareMetres }

    public func validate(_ microgrids: [MicroGrid], grids: [Grid]) throws -> [LayerProblem] {
        let byCode = Dictionary(grids.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        var members: [String: [MicroGrid]] = [:]
        var problems: [LayerProblem] = []
        for m in microgrids {
            guard byCode[m.gridCode] != nil else {
                problems.append(LayerProblem(kind: .microgridOrphan, gridCodes: [m.code],
                                             detail: "grid \(m.gridCode) is not in this layer", location: .polygon(m.polygon)))
                continue
            }
            members[m.gridCode, default: []].append(m)
        }
        let quick = CoverageCheck()
        let ctx = GEOSContext()
        for (code, ms) in members.sorted(by: { $0.key < $1.key }) {
            let grid = byCode[code]!
            if quick.tiles(grid.polygon, with: ms.map(\.polygon)) { continue }
            problems += try measured(grid, ms, ctx)
        }
        return problems
    }

    private func significant(_ s: Shape) -> [Polygon] {
        s.geometry.polygons.filter { Geodesy.localArea(of: .polygon($0)) > toleranceSquareMetres }
    }

    private func area(_ ps: [Polygon]) -> Double { ps.reduce(0) { $0 + Geodesy.localArea(of: .polygon($1)) } }

    /// One grid's micro-grids measured with GEOS.
    private func measured(_ grid: Grid, _ ms: [MicroGrid], _ ctx: GEOSContext) throws -> [LayerProblem] {
        var out: [LayerProblem] = []
        let gridShape = try ctx.shape(.polygon(grid.polygon))
        guard case .valid = gridShape.validity else { return [] }   // reported as a grid problem
        var valid: [(MicroGrid, Shape)] = []
        for m in ms {
            let s = try ctx.shape(.polygon(m.polygon))
            if case .invalid(let reason, let at) = s.validity {
                out.append(LayerProblem(kind: .microgridInvalid, gridCodes: [m.code], detail: reason, location: at.map { .point($0) } ?? .polygon(m.polygon)))
            } else {
                valid.append((m, s))
            }
        }
        for i in valid.indices {
            let (a, sa) = valid[i]
            let prepared = try sa.prepared()
            for j in valid.indices where j > i {
                let (b, sb) = valid[j]
                guard prepared.intersects(sb), sa.overlapsInArea(sb) else { continue }
                let parts = significant(try sa.intersection(sb))
                guard !parts.isEmpty else { continue }
                out.append(LayerProblem(kind: .microgridOverlap, gridCodes: [a.code, b.code],
                                        detail: String(format: "overlap of %.0f m²", area(parts)), location: .multiPolygon(parts)))
            }
        }
        let preparedGrid = try gridShape.prepared()
        for (m, s) in valid where !preparedGrid.covers(s) {
            let outside = significant(try s.difference(gridShape))
            guard !outside.isEmpty else { continue }
            out.append(LayerProblem(kind: .microgridCrossesGrid, gridCodes: [m.code],
                                    detail: String(format: "%.0f m² outside grid %@", area(outside), grid.code), location: .multiPolygon(outside)))
        }
        let union = try ctx.shape(.multiPolygon(valid.map(\.0.polygon))).unaryUnion()
        for gap in significant(try gridShape.difference(union)) {
            let gapShape = try ctx.shape(.polygon(gap))
            let near = valid.filter { $0.1.intersects(gapShape) }.map(\.0.code)
            out.append(LayerProblem(kind: .microgridGap, gridCodes: near.isEmpty ? [grid.code] : near,
                                    detail: String(format: "%.0f m² of grid %@ in no micro-grid", area([gap]), grid.code), location: .polygon(gap)))
        }
        return out
    }
}
