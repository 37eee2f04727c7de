import Foundation
import Geo

/// Why a plan operation was refused. Nothing changes when one is thrown.
public struct PlanError: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// The planner's operations on a draft layer: split, merge, reshape and re-partition. Each takes a
/// layer and returns the new one, or refuses with the reason; grids recount their households from
/// the household layer when there is one.
public struct PlanEditor {
    public var grids: [Grid]
    public let boundaries: [Boundary]
    /// The address points inside a box, or nil when the county has no household layer (grids
    /// then keep the figures they were imported with). Read per edit, for the grids it draws anew.
    public typealias HouseholdSource = (BoundingBox) throws -> [Household]?
    let householdsIn: HouseholdSource
    public var band: ClosedRange<Int> = Grid.householdBand
    let ctx = GEOSContext()
    /// The boundaries the plan had when the editor was made: only grids drawn anew are counted again.
    let original: [String: Polygon]

    public init(grids: [Grid], boundaries: [Boundary], households: [Household]) {
        self.init(grids: grids, boundaries: boundaries, householdsIn: { box in households.isEmpty ? nil : households.filter { box.contains($0.position) } })
    }

    public init(grids: [Grid], boundaries: [Boundary], householdsIn: @escaping HouseholdSource) {
        self.grids = grids
        original = Dictionary(grids.map { ($0.code, $0.polygon) }, uniquingKeysWith: { a, _ in a })
        self.boundaries = boundaries
        self.householdsIn = householdsIn
    }

    private func index(_ code: String) throws -> Int {
        guard let k = grids.firstIndex(where: { $0.code == code }) else { throw PlanError("no grid \(code) in this plan") }
        return k
    }

    private func single(_ s: Shape, _ what: String) throws -> Polygon {
        let parts = s.geometry.polygons.filter { Geodesy.localArea(of: .polygon($0)) > 0.01 }
        guard parts.count == 1 else { throw PlanError("\(what) would be in \(parts.count) pieces") }
        return parts[0]
    }

    /// A fresh grid code in the same village: its highest grid number in the layer, plus one.
    private func newCode(like code: String, taken: Set<String>) -> String {
        guard code.count == 15, let village = Optional(String(code.prefix(12))) else {
            var k = 2
            while taken.contains("\(code)-\(k)") { k += 1 }
            return "\(code)-\(k)"
        }
        let used = taken.filter { $0.hasPrefix(village) && $0.count == 15 }.compactMap { Int($0.suffix(3)) }
        return village + String(format: "%03d", (used.max() ?? 0) + 1)
    }

    /// Households and population inside each polygon (the same rule as `assign`), for the grids
    /// whose boundary the edit drew anew or added; the others keep their figures (an edit of one
    /// grid must not change the count of a grid across the county).
    func recount(_ gs: inout [Grid]) throws {
        let drawn = gs.indices.filter { original[gs[$0].code] != gs[$0].polygon }
        var box: BoundingBox?
        for k in drawn {
            for p in gs[k].polygon.exterior { if box == nil { box = BoundingBox(minLon: p.lon, minLat: p.lat, maxLon: p.lon, maxLat: p.lat) } else { box!.extend(p) } }
        }
        guard let box, let points = try householdsIn(box) else { return }
        let counted = GridLayer(grids: gs).counted(from: points)
        for k in drawn {
            gs[k].households = points.isEmpty ? 0 : counted[k].households
            gs[k].population = points.isEmpty ? 0 : counted[k].population
        }
    }

    // MARK: household override

    /// Sets (or with nil clears) a grid's explicit household figure; it is shown as an override and
    /// wins over the count in validation.
    public mutating func setOverride(_ code: String, households: Int?) throws {
        let k = try index(code)
        // A grid is 300–500 households; 100,000 is already a town. Larger figures are typing errors
        // (2^62 was accepted, and sums over a village overflowed).
        if let h = households, h < 0 || h > 100_000 { throw PlanError("a household figure is 0 to 100,000, not \(h)") }
        grids[k].householdsOverride = households
    }

    // MARK: split

    /// Splits a grid along a line that crosses it from edge to edge. The piece with the larger area
    /// keeps the code; the others get new codes in the same village.
    public mutating func split(_ code: String, along line: [Position]) throws -> [String] {
        let k = try index(code)
        guard line.count >= 2 else { throw PlanError("a split line needs at least 2 positions") }
        let grid = try ctx.shape(.polygon(grids[k].polygon))
        let cut = try ctx.shape(.lineString(line))
        guard grid.intersects(cut) else { throw PlanError("the split line does not cross grid \(code)") }
        // Node the grid's boundary with the line, rebuild faces, keep those inside the grid.
        let noded = try grid.boundary().union(cut)
        let faces = try ctx.polygonize([noded]).geometry
        let prepared = try grid.prepared()
        var pieces: [Polygon] = []
        for f in faces.allPolygons {
            let inside = try ctx.shape(.polygon(f)).pointOnSurface()
            if prepared.contains(inside) { pieces.append(f) }
        }
        pieces = Array(Set(pieces))
        guard pieces.count >= 2 else {
            throw PlanError("the split line does not cut grid \(code) in two (it must enter and leave the grid)")
        }
        pieces.sort { Geodesy.localArea(of: .polygon($0)) > Geodesy.localArea(of: .polygon($1)) }
        var taken = Set(grids.map(\.code))
        var made: [String] = [code]
        grids[k].polygon = pieces[0]
        grids[k].householdsOverride = nil
        for p in pieces.dropFirst() {
            let c = newCode(like: code, taken: taken)
            taken.insert(c)
            made.append(c)
            grids.append(Grid(code: c, name: "\(grids[k].name) (\(made.count))", households: 0, polygon: p, kind: grids[k].kind))
        }
        try recount(&grids)
        return made
    }

    // MARK: merge

    /// Merges grid `b` into grid `a`: they must share an edge and belong to the same village.
    public mutating func merge(_ a: String, _ b: String) throws {
        guard a != b else { throw PlanError("cannot merge grid \(a) with itself") }
        let i = try index(a), j = try index(b)
        if let va = grids[i].villageCode, let vb = grids[j].villageCode, va != vb {
            throw PlanError("grids \(a) and \(b) are in different villages (\(va), \(vb)); a grid never crosses its village")
        }
        let sa = try ctx.shape(.polygon(grids[i].polygon)), sb = try ctx.shape(.polygon(grids[j].polygon))
        guard sa.sharesEdge(with: sb) else { throw PlanError("grids \(a) and \(b) do not touch (they share no edge)") }
        grids[i].polygon = try single(try sa.union(sb), "the merged grid")
        grids[i].householdsOverride = nil
        grids.remove(at: j)
        try recount(&grids)
    }

    // MARK: a client's own geometry (OGC API – Features Part 4)

    /// Puts a grid as a client wrote it, adding it or replacing the one with its code: its boundary
    /// as given, the neighbours left as they are (an overlap or gap is the plan's problem to show,
    /// not a refusal: a draft may hold problems while it is edited). Refused when the polygon is not
    /// valid, the code is not a grid code of a village of the boundaries, or the polygon reaches
    /// outside that village. Its households are counted again.
    public mutating func put(_ grid: Grid) throws -> [String] {
        var grid = grid
        grid.polygon = snapped(grid.polygon)
        guard grid.code.utf8.count == 15, grid.code.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw PlanError("grid_id \(grid.code) is not a 15-digit grid code (village code + 3 digits)")
        }
        guard let village = boundaries.first(where: { $0.code == grid.villageCode && $0.level == .village }) else {
            throw PlanError("grid_id \(grid.code) names village \(grid.villageCode ?? ""), which is not in the boundaries")
        }
        let shape = try ctx.shape(.polygon(grid.polygon))
        if case .invalid(let reason, let at) = shape.validity {
            throw PlanError("the polygon is not valid: \(reason)\(at.map { " at \($0.lon) \($0.lat)" } ?? "")")
        }
        let size = Geodesy.localArea(of: .polygon(grid.polygon))
        guard size > 1 else { throw PlanError("the polygon has no area") }
        let villageShape = try ctx.shape(.multiPolygon(village.area))
        let beyond = Geodesy.localArea(of: try shape.difference(villageShape).geometry)
        // Village lines and grid edges are drawn apart and never meet to the centimetre: what the
        // grid already had outside, and slivers under 0.1% of it, are not a crossing.
        let old = try grids.first(where: { $0.code == grid.code }).map { g in
            Geodesy.localArea(of: try ctx.shape(.polygon(g.polygon)).difference(villageShape).geometry)
        } ?? 0
        if beyond > max(10, size * 0.001, old + 1) {
            throw PlanError(String(format: "the polygon reaches %.0f m² outside village %@ (%@): a grid never crosses its village", beyond, village.code, village.name))
        }
        var g = grid
        if let k = grids.firstIndex(where: { $0.code == grid.code }) { grids[k] = g } else {
            g.households = 0
            grids.append(g)
        }
        try recount(&grids)
        return [grid.code]
    }

    /// The polygon with each vertex within 2 × 10⁻⁷° (about 2 cm) of a vertex of the plan's grids
    /// moved onto it: what a client read and sends back has passed through decimal text, and a
    /// shared edge must stay shared to the bit, or validation finds slivers along it.
    func snapped(_ p: Polygon) -> Polygon {
        let cell = 1e-7
        func key(_ x: Double, _ y: Double) -> SIMD2<Int64> { SIMD2(Int64((x / cell).rounded()), Int64((y / cell).rounded())) }
        var known: [SIMD2<Int64>: Position] = [:]
        for g in grids { for ring in g.polygon.rings { for v in ring { known[key(v.lon, v.lat)] = v } } }
        func snap(_ v: Position) -> Position {
            let k = key(v.lon, v.lat)
            var best: (Double, Position)?
            for dx in -2...2 { for dy in -2...2 {
                guard let c = known[k &+ SIMD2(Int64(dx), Int64(dy))] else { continue }
                let d = max(abs(c.lon - v.lon), abs(c.lat - v.lat))
                if d <= 2 * cell, d < (best?.0 ?? .infinity) { best = (d, c) }
            } }
            return best?.1 ?? v
        }
        return Polygon(p.rings.map { $0.map(snap) })
    }

    /// Takes a grid out of the plan (its place is a gap until another grid covers it).
    public mutating func remove(_ code: String) throws {
        grids.remove(at: try index(code))
    }

    /// A code for a new grid in a village: its highest grid number in the plan, plus one.
    public func newCode(inVillage village: String) -> String { newCode(like: village + "000", taken: Set(grids.map(\.code))) }

    // MARK: reshape

    /// Gives a grid a new boundary. Neighbours give up what the new boundary takes, and take what it
    /// gives up (each given-up piece goes to the neighbour sharing most edge with it), so coverage
    /// stays seamless. Refused when a piece would be left to no grid (a hole), a neighbour would
    /// vanish or fall in pieces, or the grid would leave its village.
    public mutating func reshape(_ code: String, to polygon: Polygon) throws -> [String] {
        let k = try index(code)
        let new = try ctx.shape(.polygon(polygon))
        if case .invalid(let reason, let at) = new.validity {
            throw PlanError("the new boundary is not a valid polygon: \(reason)\(at.map { " at \($0.lon) \($0.lat)" } ?? "")")
        }
        if let parent = parentShape(of: grids[k]) {
            let outside = try new.difference(parent)
            if Geodesy.localArea(of: outside.geometry) > 1 {
                throw PlanError("the new boundary reaches outside the grid's village or town")
            }
        }
        let old = try ctx.shape(.polygon(grids[k].polygon))
        var shapes = try grids.map { try ctx.shape(.polygon($0.polygon)) }
        var touched = Set<Int>()
        // Neighbours give up what the new boundary takes.
        for n in grids.indices where n != k && shapes[n].intersects(new) && shapes[n].overlapsInArea(new) {
            let rest = try shapes[n].difference(new)
            let parts = rest.geometry.polygons.filter { Geodesy.localArea(of: .polygon($0)) > 1 }
            if parts.isEmpty { throw PlanError("the new boundary swallows grid \(grids[n].code) whole (merge it instead)") }
            if parts.count > 1 { throw PlanError("the new boundary cuts grid \(grids[n].code) in \(parts.count) pieces") }
            shapes[n] = try ctx.shape(.polygon(parts[0]))
            touched.insert(n)
        }
        // Pieces the grid gives up go to a neighbour in the same village (a grid never crosses it).
        let village = grids[k].villageCode
        for lost in try old.difference(new).geometry.polygons where Geodesy.localArea(of: .polygon(lost)) > 1 {
            let piece = try ctx.shape(.polygon(lost))
            var sharing: [(n: Int, edge: Shape)] = []
            for n in grids.indices where n != k && grids[n].villageCode == village && shapes[n].intersects(piece) {
                let edge = try shapes[n].intersection(piece)
                if edge.planarLength > 0 { sharing.append((n, edge)) }
            }
            guard let longest = sharing.max(by: { $0.edge.planarLength < $1.edge.planarLength }) else {
                throw PlanError(String(format: "the reshape leaves a hole: %.0f m² near %.6f, %.6f would be in no grid",
                                       Geodesy.localArea(of: .polygon(lost)), lost.exterior[0].lon, lost.exterior[0].lat))
            }
            // Each neighbour takes the part nearest its own edge; if a share would come out in
            // pieces, the neighbour with the longest shared edge takes the whole piece instead.
            if sharing.count > 1, let shares = try? shareOut(lost, among: sharing) {
                for (n, part) in shares {
                    shapes[n] = try ctx.shape(.polygon(try single(try shapes[n].union(part).snapped(), "grid \(grids[n].code)")))
                    touched.insert(n)
                }
            } else {
                let n = longest.n
                shapes[n] = try ctx.shape(.polygon(try single(try shapes[n].union(piece), "grid \(grids[n].code)")))
                touched.insert(n)
            }
        }
        grids[k].polygon = try single(new, "grid \(code)")
        grids[k].householdsOverride = nil
        for n in touched { grids[n].polygon = try single(shapes[n], "grid \(grids[n].code)"); grids[n].householdsOverride = nil }
        try recount(&grids)
        return [code] + touched.sorted().map { grids[$0].code }
    }

    /// Cuts a given-up piece among the neighbours along its edge, each taking what lies nearest its
    /// shared edge (Voronoi cells of points along the edges). Nil when a share is not one piece or
    /// would not join its neighbour in one piece.
    private func shareOut(_ lost: Polygon, among sharing: [(n: Int, edge: Shape)]) throws -> [(Int, Shape)]? {
        let box = Geometry.polygon(lost).boundingBox!
        let step = max(box.maxLon - box.minLon, box.maxLat - box.minLat) / 64
        var seeds: [Position] = [], owner: [Int] = [], seen = Set<Position>()
        for (n, edge) in sharing {
            try edge.densified(step).geometry.forEachPosition { p in
                if seen.insert(p).inserted { seeds.append(p); owner.append(n) }
            }
        }
        guard Set(owner).count > 1 else { return nil }
        let cells = try Tessellation.voronoi(seeds: seeds, within: [lost], context: ctx)
        var out: [(Int, Shape)] = []
        for n in Set(owner).sorted() {
            let mine = cells.indices.filter { owner[$0] == n }.compactMap { cells[$0] }
            guard !mine.isEmpty else { continue }
            out.append((n, try ctx.shape(.multiPolygon(mine)).unaryUnion().snapped()))
        }
        // A share in several parts keeps the one along its neighbour's own edge; the other parts,
        // and whatever the cells missed, join the share they border most, so the shares add up to
        // the whole piece.
        let edges = Dictionary(sharing.map { ($0.n, $0.edge) }, uniquingKeysWith: { a, _ in a })
        for k in out.indices where out[k].1.geometry.allPolygons.count > 1 {
            let parts = try out[k].1.geometry.allPolygons.map { try ctx.shape(.polygon($0)) }
            let keep = try parts.max { try $0.intersection(edges[out[k].0]!).planarLength < $1.intersection(edges[out[k].0]!).planarLength }!
            out[k].1 = keep
        }
        let piece = try ctx.shape(.polygon(lost))
        let covered = try ctx.shape(.multiPolygon(out.flatMap { $0.1.geometry.allPolygons })).unaryUnion()
        for rest in try piece.difference(covered).geometry.allPolygons where Geodesy.localArea(of: .polygon(rest)) > 0.01 {
            let r = try ctx.shape(.polygon(rest))
            guard let k = try out.indices.max(by: { try out[$0].1.intersection(r).planarLength < out[$1].1.intersection(r).planarLength }),
                  try out[k].1.intersection(r).planarLength > 0 else { return nil }
            out[k].1 = try out[k].1.union(r).snapped()
        }
        guard out.allSatisfy({ $0.1.geometry.allPolygons.count == 1 }) else { return nil }
        return out
    }

    private func parentShape(of g: Grid) -> Shape? {
        for code in [g.villageCode, g.townCode].compactMap({ $0 }) {
            if let b = boundaries.first(where: { $0.code == code }) { return try? ctx.shape(.multiPolygon(b.area)) }
        }
        return nil
    }

    // MARK: partition

    /// Re-partitions a village, every village of a town, or every village of the county into grids
    /// inside the household band, never crossing a village boundary. The old grids there are replaced.
    public mutating func partition(_ parentCode: String) throws -> [String] {
        guard let parent = boundaries.first(where: { $0.code == parentCode }) else {
            throw PlanError("no village, town or county \(parentCode) in the boundaries")
        }
        let villages: [Boundary]
        switch parent.level {
        case .village: villages = [parent]
        case .town: villages = boundaries.filter { $0.level == .village && $0.parentCode == parent.code }
        case .county: villages = boundaries.filter { $0.level == .village }
        }
        guard !villages.isEmpty else { throw PlanError("\(parent.level.rawValue) \(parentCode) has no villages to partition") }
        let partitioner = Partitioner(band: band)
        let villageLocator = PointLocator(polygons: villages.flatMap(\.area))
        var partOf: [Int] = []
        for (k, v) in villages.enumerated() { partOf += Array(repeating: k, count: v.area.count) }
        var points = [[(position: Position, households: Int)]](repeating: [], count: villages.count)
        var around = BoundingBox(minLon: .infinity, minLat: .infinity, maxLon: -.infinity, maxLat: -.infinity)
        for v in villages { for poly in v.area { for p in poly.exterior { around.extend(p) } } }
        for h in try householdsIn(around) ?? [] {
            if let p = villageLocator.locate(h.position.lon, h.position.lat) { points[partOf[p]].append((h.position, h.households)) }
        }
        var made: [Grid] = []
        for (k, v) in villages.enumerated() {
            guard v.area.count == 1 else { throw PlanError("village \(v.code) is in \(v.area.count) pieces; partition needs one") }
            let old = grids.filter { $0.code.hasPrefix(v.code) }
            let kind = Dictionary(grouping: old, by: \.kind).max { $0.value.count < $1.value.count }?.key ?? .rural
            let pieces: [Partitioner.Piece]
            do { pieces = try partitioner.partition(v.area[0], points: points[k], context: ctx) } catch {
                throw PlanError("village \(v.code) \(v.name): \(error)")
            }
            for (n, p) in pieces.enumerated() {
                made.append(Grid(code: v.code + String(format: "%03d", n + 1), name: "\(v.name)第\(n + 1)网格",
                                 households: p.households, polygon: p.polygon, kind: kind))
            }
        }
        let prefixes = villages.map(\.code)
        grids.removeAll { g in prefixes.contains { g.code.hasPrefix($0) } }
        grids += made
        grids.sort { $0.code < $1.code }
        try recount(&grids)
        return made.map(\.code)
    }
}
