import Foundation
import Geo

/// Topological editing (the map's plan editor): a vertex belongs to every grid that holds it, so
/// moving, adding or deleting it changes all of them at once and a shared boundary stays shared.
/// A vertex is named by its position; positions within `PlanEditor.sameVertex` of it are it (what
/// a client read passed through decimal text, and perhaps GCJ-02 and back).
extension PlanEditor {
    /// About 2 cm: closer than any two vertices of a drawn boundary, looser than text round trips.
    static let sameVertex = 2e-7

    static func same(_ a: Position, _ b: Position) -> Bool {
        abs(a.lon - b.lon) <= sameVertex && abs(a.lat - b.lat) <= sameVertex
    }

    /// Moves the vertex at `from` to `to` in every grid holding it; `to` snaps onto a vertex of the
    /// plan within 2 cm (the client snapped it there on the screen). Refused when no grid holds
    /// `from`, or when a grid's boundary would no longer be a valid polygon (crossing itself).
    public mutating func moveVertex(from: Position, to target: Position) throws -> [String] {
        let to = snapped(Polygon([[target]])).exterior[0]
        node(at: from)
        var changed: [String] = []
        for k in grids.indices {
            var moved = false
            let rings = grids[k].polygon.rings.map { ring in
                ring.map { v -> Position in
                    guard Self.same(v, from) else { return v }
                    moved = true
                    return to
                }
            }
            guard moved else { continue }
            grids[k].polygon = try checked(Polygon(rings.map(Self.withoutRepeats)), grids[k].code, "moving the vertex")
            grids[k].householdsOverride = nil
            changed.append(grids[k].code)
        }
        guard !changed.isEmpty else { throw PlanError("no grid of this plan has a vertex at \(from.lon), \(from.lat)") }
        try recount(&grids)
        return changed
    }

    /// Adds a vertex on the edge from `a` to `b`: the point of that edge nearest `at`, put into
    /// every grid whose boundary runs through it (both sides of a shared edge, and a neighbour
    /// whose longer edge the point lies on). Refused when no grid has the edge `a`–`b`.
    public mutating func insertVertex(at: Position, edge a: Position, _ b: Position) throws -> [String] {
        guard grids.contains(where: { g in g.polygon.rings.contains { Self.hasEdge($0, a, b) } }) else {
            throw PlanError("no grid of this plan has an edge from \(a.lon), \(a.lat) to \(b.lon), \(b.lat)")
        }
        let p = Self.nearest(on: a, b, to: at)
        guard !Self.same(p, a), !Self.same(p, b) else { throw PlanError("the new vertex would fall on a vertex already there") }
        var changed: [String] = []
        for k in grids.indices {
            let rings = grids[k].polygon.rings.map { Self.inserting([p], into: $0) }
            guard rings != grids[k].polygon.rings else { continue }
            grids[k].polygon = Polygon(rings)
            changed.append(grids[k].code)
        }
        return changed
    }

    /// Before a vertex moves or goes: every grid whose boundary runs through it gets it as a
    /// vertex, and the edges meeting at it get the other grids' vertices lying on them (a shared
    /// boundary drawn with more vertices on one side than the other), so that both sides of each
    /// of those edges change alike and no sliver opens between them.
    mutating func node(at v: Position) {
        for k in grids.indices {
            let rings = grids[k].polygon.rings.map { Self.inserting([v], into: $0) }
            if rings != grids[k].polygon.rings { grids[k].polygon = Polygon(rings) }
        }
        // The edges meeting at v, and the vertices near them.
        var box = (minLon: v.lon, minLat: v.lat, maxLon: v.lon, maxLat: v.lat)
        for g in grids { for ring in g.polygon.rings { for (i, p) in ring.enumerated() where Self.same(p, v) {
            for q in [ring[i == 0 ? ring.count - 2 : i - 1], ring[i + 1 < ring.count ? i + 1 : 1]] {
                box = (min(box.minLon, q.lon), min(box.minLat, q.lat), max(box.maxLon, q.lon), max(box.maxLat, q.lat))
            }
        } } }
        var near: [Position] = []
        for g in grids { for ring in g.polygon.rings { for p in ring.dropLast()
            where p.lon >= box.minLon - Self.sameVertex && p.lon <= box.maxLon + Self.sameVertex
                && p.lat >= box.minLat - Self.sameVertex && p.lat <= box.maxLat + Self.sameVertex && !Self.same(p, v) {
            near.append(p)
        } } }
        guard !near.isEmpty else { return }
        for k in grids.indices where grids[k].polygon.rings.contains(where: { $0.contains { Self.same($0, v) } }) {
            grids[k].polygon = Polygon(grids[k].polygon.rings.map { Self.inserting(near, into: $0, touching: v) })
        }
    }

    /// The ring with each point that lies on one of its edges (within `sameVertex`, and not on
    /// the edge's ends) put into that edge, in order along it; with `touching`, only edges with
    /// that vertex at an end.
    static func inserting(_ points: [Position], into ring: [Position], touching v: Position? = nil) -> [Position] {
        guard ring.count >= 2 else { return ring }
        var out: [Position] = [ring[0]]
        for i in 0..<(ring.count - 1) {
            let a = ring[i], b = ring[i + 1]
            if v.map({ same(a, $0) || same(b, $0) }) ?? true {
                let dx = b.lon - a.lon, dy = b.lat - a.lat, len = dx * dx + dy * dy
                let on = points.filter { p in !same(p, a) && !same(p, b) && distance(p, toSegment: a, b) <= sameVertex }
                    .map { p in (t: len > 0 ? ((p.lon - a.lon) * dx + (p.lat - a.lat) * dy) / len : 0, p: p) }
                    .sorted { $0.t < $1.t }
                for x in on where !same(out.last!, x.p) { out.append(x.p) }
            }
            out.append(b)
        }
        return out
    }

    /// Deletes the vertex at `at` from every grid holding it. Refused when a ring would keep fewer
    /// than three corners, or a boundary would no longer be valid.
    public mutating func removeVertex(at: Position) throws -> [String] {
        node(at: at)
        var changed: [String] = []
        for k in grids.indices {
            var removed = false
            let rings = try grids[k].polygon.rings.map { ring -> [Position] in
                let open = ring.dropLast().filter { v in
                    if Self.same(v, at) { removed = true; return false }
                    return true
                }
                guard open.count < ring.count - 1 else { return ring }
                guard open.count >= 3 else { throw PlanError("grid \(grids[k].code) would keep only \(open.count) corners") }
                return open + [open[0]]
            }
            guard removed else { continue }
            grids[k].polygon = try checked(Polygon(rings), grids[k].code, "deleting the vertex")
            grids[k].householdsOverride = nil
            changed.append(grids[k].code)
        }
        guard !changed.isEmpty else { throw PlanError("no grid of this plan has a vertex at \(at.lon), \(at.lat)") }
        try recount(&grids)
        return changed
    }

    /// Puts grids back as they were (an undo or redo the client was handed): each replaces or adds
    /// the grid with its code, exactly as given, names, figures and household overrides included
    /// (not counted again: an undo gives back what was, to the household); `removing` takes grids out. Refused, with nothing changed, when a polygon is not valid or a code is not
    /// a grid code of a village of the boundaries.
    public mutating func restore(_ given: [Grid], removing: [String]) throws -> [String] {
        let villages = Set(boundaries.filter { $0.level == .village }.map(\.code))
        for g in given {
            guard g.code.utf8.count == 15, g.code.utf8.allSatisfy({ (0x30...0x39).contains($0) }), villages.contains(String(g.code.prefix(12))) else {
                throw PlanError("grid_id \(g.code) is not a grid code of a village of the boundaries")
            }
            _ = try checked(g.polygon, g.code, "restoring it")
        }
        let gone = Set(removing)
        grids.removeAll { gone.contains($0.code) }
        for g in given {
            if let k = grids.firstIndex(where: { $0.code == g.code }) { grids[k] = g } else { grids.append(g) }
        }
        grids.sort { $0.code < $1.code }
        return given.map(\.code)
    }

    private func checked(_ p: Polygon, _ code: String, _ doing: String) throws -> Polygon {
        guard p.rings.allSatisfy({ $0.count >= 4 }) else { throw PlanError("\(doing) leaves grid \(code) without area") }
        if case .invalid(let reason, let at) = try ctx.shape(.polygon(p)).validity {
            throw PlanError("\(doing) makes grid \(code)'s boundary invalid: \(reason)\(at.map { " at \($0.lon), \($0.lat)" } ?? "")")
        }
        return p
    }

    /// A ring without a vertex repeated next to itself (a vertex dragged onto its neighbour).
    static func withoutRepeats(_ ring: [Position]) -> [Position] {
        var out: [Position] = []
        for v in ring where out.last != v { out.append(v) }
        return out
    }

    static func hasEdge(_ ring: [Position], _ a: Position, _ b: Position) -> Bool {
        zip(ring, ring.dropFirst()).contains { p, q in (same(p, a) && same(q, b)) || (same(p, b) && same(q, a)) }
    }

    /// The point of segment a–b nearest p (planar in degrees: edges are metres to a kilometre long).
    static func nearest(on a: Position, _ b: Position, to p: Position) -> Position {
        let dx = b.lon - a.lon, dy = b.lat - a.lat, len = dx * dx + dy * dy
        guard len > 0 else { return a }
        let t = min(1, max(0, ((p.lon - a.lon) * dx + (p.lat - a.lat) * dy) / len))
        return Position(a.lon + t * dx, a.lat + t * dy)
    }

    static func distance(_ p: Position, toSegment a: Position, _ b: Position) -> Double {
        let q = nearest(on: a, b, to: p)
        return max(abs(q.lon - p.lon), abs(q.lat - p.lat))
    }
}
