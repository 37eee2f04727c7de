import Foundation
import Geo

/// One thing wrong with a grid layer, with the grids involved and where it is.
public struct LayerProblem: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case invalid
        case multiPart = "multi_part"
        case overlap
        case gap
        case crossesParent = "crosses_parent"
        case outsideBand = "outside_band"
        case empty
        // Micro-grids (微网格) against their grid: `gridCodes` holds micro-grid codes.
        case microgridInvalid = "microgrid_invalid"
        case microgridOverlap = "microgrid_overlap"
        /// Part of a grid in none of its micro-grids.
        case microgridGap = "microgrid_gap"
        /// A micro-grid reaching outside its grid (a plan that moved the grid's boundary).
        case microgridCrossesGrid = "microgrid_crosses_grid"
        /// A micro-grid whose grid is not in the layer (a plan that merged or removed it).
        case microgridOrphan = "microgrid_orphan"

        /// About micro-grids, which publishing a plan derives anew for the grids it changes.
        public var isMicrogrid: Bool { rawValue.hasPrefix("microgrid_") }
    }
    public var kind: Kind
    public var gridCodes: [String]
    public var detail: String
    /// Where the problem is (the overlap, the gap, the part outside the parent, the grid itself).
    public var location: Geometry?

    public var description: String { "\(kind.rawValue) [\(gridCodes.joined(separator: ", "))]: \(detail)" }
}

/// Checks a grid layer (live or plan) against the rules planners work to: grids valid and in one
/// piece, no overlaps, no gaps inside their parent boundary, none crossing its parent, each within
/// the household band and none empty.
public struct LayerValidator {
    public var band: ClosedRange<Int>
    /// Overlaps, gaps and overhangs smaller than this (m²) are numerical noise, not planning errors.
    public var toleranceSquareMetres: Double

    public init(band: ClosedRange<Int> = Grid.householdBand, toleranceSquareMetres: Double = 1) {
        self.band = band
        self.toleranceSquareMetres = toleranceSquareMetres
    }

    /// - Parameter boundaries: the county, towns and villages; a grid's parent is the village (else
    ///   town, else county) its code names.
    public func validate(_ grids: [Grid], boundaries: [Boundary]) throws -> [LayerProblem] {
        let ctx = GEOSContext()
        var problems: [LayerProblem] = []
        let allShapes = try grids.map { try ctx.shape(.polygon($0.polygon)) }
        var valid: [Int] = []
        for (k, (g, s)) in zip(grids, allShapes).enumerated() {
            if case .invalid(let reason, let at) = s.validity {
                problems.append(LayerProblem(kind: .invalid, gridCodes: [g.code], detail: reason, location: at.map { .point($0) } ?? .polygon(g.polygon)))
            } else {
                valid.append(k)
            }
            if g.polygon.rings.isEmpty || s.isEmpty {
                problems.append(LayerProblem(kind: .multiPart, gridCodes: [g.code], detail: "grid has no area", location: nil))
            }
            let n = g.effectiveHouseholds
            let source = g.householdsOverride != nil ? " (override)" : ""
            if n == 0 {
                problems.append(LayerProblem(kind: .empty, gridCodes: [g.code], detail: "no households\(source)", location: .polygon(g.polygon)))
            } else if !band.contains(n) {
                problems.append(LayerProblem(kind: .outsideBand, gridCodes: [g.code],
                                             detail: "\(n) households\(source), band \(band.lowerBound)–\(band.upperBound)", location: .polygon(g.polygon)))
            }
        }
        // Overlay needs valid input: an invalid grid is reported above and left out of the rest.
        let checked = valid.map { grids[$0] }, shapes = valid.map { allShapes[$0] }
        problems += try overlaps(checked, shapes, ctx)
        problems += try parentProblems(checked, shapes, boundaries, ctx)
        return problems
    }

    private func significant(_ s: Shape) -> [Polygon] {
        s.geometry.polygons.filter { Geodesy.localArea(of: .polygon($0)) > toleranceSquareMetres }
    }

    private func overlaps(_ grids: [Grid], _ shapes: [Shape], _ ctx: GEOSContext) throws -> [LayerProblem] {
        let tree = try STRtree(context: ctx)
        for (i, s) in shapes.enumerated() { if let b = s.envelope { try tree.insert(b, id: i) } }
        var out: [LayerProblem] = []
        for (i, s) in shapes.enumerated() {
            guard let b = s.envelope else { continue }
            let prepared = try s.prepared()
            for j in try tree.query(b).sorted() where j > i {
                guard prepared.intersects(shapes[j]), s.overlapsInArea(shapes[j]) else { continue }
                let parts = significant(try s.intersection(shapes[j]))
                guard !parts.isEmpty else { continue }
                let m2 = parts.reduce(0) { $0 + Geodesy.localArea(of: .polygon($1)) }
                out.append(LayerProblem(kind: .overlap, gridCodes: [grids[i].code, grids[j].code],
                                        detail: String(format: "overlap of %.0f m²", m2), location: .multiPolygon(parts)))
            }
        }
        return out
    }

    /// Gaps inside each parent and grids reaching outside it.
    private func parentProblems(_ grids: [Grid], _ shapes: [Shape], _ boundaries: [Boundary], _ ctx: GEOSContext) throws -> [LayerProblem] {
        let byCode = Dictionary(boundaries.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        let county = boundaries.first { $0.level == .county }
        func parent(_ g: Grid) -> Boundary? {
            for code in [g.villageCode, g.townCode].compactMap({ $0 }) { if let b = byCode[code] { return b } }
            // A prefecture's database holds several counties: the one the code begins with.
            if let b = byCode[String(g.code.prefix(6))], b.level == .county { return b }
            return county
        }
        var children: [String: [Int]] = [:]
        var orphans: [Int] = []
        for (k, g) in grids.enumerated() {
            if let p = parent(g) { children[p.code, default: []].append(k) } else { orphans.append(k) }
        }
        var out: [LayerProblem] = []
        for (code, members) in children.sorted(by: { $0.key < $1.key }) {
            let p = byCode[code]!
            let parentShape = try ctx.shape(.multiPolygon(p.area))
            let prepared = try parentShape.prepared()
            for k in members where !prepared.covers(shapes[k]) {
                let outside = significant(try shapes[k].difference(parentShape))
                if !outside.isEmpty {
                    let m2 = outside.reduce(0) { $0 + Geodesy.localArea(of: .polygon($1)) }
                    out.append(LayerProblem(kind: .crossesParent, gridCodes: [grids[k].code],
                                            detail: String(format: "%.0f m² outside %@ %@", m2, p.level.rawValue, p.code), location: .multiPolygon(outside)))
                }
            }
            let union = try ctx.shape(.multiPolygon(members.map { grids[$0].polygon })).unaryUnion()
            for gap in significant(try parentShape.difference(union)) {
                let gapShape = try ctx.shape(.polygon(gap))
                let near = members.filter { shapes[$0].intersects(gapShape) }.map { grids[$0].code }
                out.append(LayerProblem(kind: .gap, gridCodes: near,
                                        detail: String(format: "%.0f m² of %@ %@ in no grid", Geodesy.localArea(of: .polygon(gap)), p.level.rawValue, p.code),
                                        location: .polygon(gap)))
            }
        }
        // Without boundaries, a hole enclosed by grids is still a gap.
        if !orphans.isEmpty {
            let union = try ctx.shape(.multiPolygon(orphans.map { grids[$0].polygon })).unaryUnion()
            for poly in union.geometry.polygons {
                for hole in poly.holes where Geodesy.localArea(of: .polygon(Polygon([hole]))) > toleranceSquareMetres {
                    let holeShape = try ctx.shape(.polygon(Polygon([hole])))
                    let near = orphans.filter { shapes[$0].intersects(holeShape) }.map { grids[$0].code }
                    let m2 = Geodesy.localArea(of: .polygon(Polygon([hole])))
                    out.append(LayerProblem(kind: .gap, gridCodes: near, detail: String(format: "%.0f m² enclosed by grids and in none", m2),
                                            location: .polygon(Polygon([hole]))))
                }
            }
        }
        return out
    }
}
