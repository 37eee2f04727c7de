import Geo

/// What changes between two grid layers: grids added, removed and changed, and which households
/// and cameras would move where. Used to preview a plan and to report a publish.
public struct LayerDiff: Sendable {
    public struct Change: Sendable, Hashable {
        public var code: String
        public var geometryChanged: Bool
        public var householdsBefore: Int
        public var householdsAfter: Int
    }
    /// Items moving from one grid to another (nil: in no grid), counted.
    public struct Flow: Sendable, Hashable {
        public var item: Move.Item
        public var from: String?
        public var to: String?
        public var count: Int
        /// For households: the households living at the moved addresses.
        public var households: Int
    }

    public var added: [String]
    public var removed: [String]
    public var changed: [Change]
    public var flows: [Flow]

    /// Grids added, removed and changed (the flows are filled in by the public initialisers).
    private init(grids old: [Grid], _ new: [Grid]) throws {
        let before = Dictionary(old.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(new.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        added = new.map(\.code).filter { before[$0] == nil }.sorted()
        removed = old.map(\.code).filter { after[$0] == nil }.sorted()
        let ctx = GEOSContext()
        var changed: [Change] = []
        for g in new {
            guard let o = before[g.code] else { continue }
            var moved = false
            if o.polygon != g.polygon {
                // Different extents: changed for sure. Same extent: measure, ignoring vertex noise.
                let a = Geometry.polygon(o.polygon).boundingBox!, b = Geometry.polygon(g.polygon).boundingBox!
                let near = abs(a.minLon - b.minLon) + abs(a.minLat - b.minLat) + abs(a.maxLon - b.maxLon) + abs(a.maxLat - b.maxLat) < 1e-6
                if near {
                    let d = try ctx.shape(.polygon(o.polygon)).symmetricDifference(try ctx.shape(.polygon(g.polygon)))
                    moved = Geodesy.localArea(of: d.geometry) > 1
                } else {
                    moved = true
                }
            }
            if moved || o.effectiveHouseholds != g.effectiveHouseholds || o.name != g.name || o.kind != g.kind {
                changed.append(Change(code: g.code, geometryChanged: moved, householdsBefore: o.effectiveHouseholds, householdsAfter: g.effectiveHouseholds))
            }
        }
        self.changed = changed.sorted { $0.code < $1.code }
        flows = []
    }

    /// What publishing `new` over `old` would move: every household and camera located in both.
    public init(from old: [Grid], to new: [Grid], households: [Household], cameras: [Camera]) throws {
        try self.init(grids: old, new)
        let oldLayer = GridLayer(grids: old), newLayer = GridLayer(grids: new)
        var moves: [(Move, Int)] = []
        func add(_ item: Move.Item, _ id: String, _ p: Position, _ weight: Int) {
            let from = oldLayer.grid(at: p)?.code, to = newLayer.grid(at: p)?.code
            if from != to { moves.append((Move(item: item, itemID: id, from: from, to: to), weight)) }
        }
        for h in households { add(.household, String(h.id), h.position, h.households) }
        for c in cameras { add(.camera, c.id, c.position, 0) }
        flows = Self.flows(moves)
    }

    /// What a publish did move, from the moves it recorded (no second locating of every point);
    /// `households` gives the weight of each moved address.
    public init(from old: [Grid], to new: [Grid], moves: [Move], households: [Household]) throws {
        try self.init(grids: old, new)
        let weight = Dictionary(households.map { (String($0.id), $0.households) }, uniquingKeysWith: { a, _ in a })
        flows = Self.flows(moves.map { ($0, $0.item == .household ? weight[$0.itemID] ?? 0 : 0) })
    }

    private static func flows(_ moves: [(Move, Int)]) -> [Flow] {
        var counts: [String: Flow] = [:]
        for (m, w) in moves {
            let key = "\(m.item.rawValue)|\(m.from ?? "")|\(m.to ?? "")"
            counts[key, default: Flow(item: m.item, from: m.from, to: m.to, count: 0, households: 0)].count += 1
            counts[key]!.households += w
        }
        return counts.values.sorted { ($0.item.rawValue, $0.from ?? "", $0.to ?? "") < ($1.item.rawValue, $1.from ?? "", $1.to ?? "") }
    }

    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty && flows.isEmpty }
}

extension LayerDiff {
    /// The diff as JSON: what is added, removed, changed, and what moves where.
    public var json: JSONValue {
        .object(JSONObject([
            ("added", .array(added.map { .string($0) })),
            ("removed", .array(removed.map { .string($0) })),
            ("changed", .array(changed.map { c in
                .object(JSONObject([("grid_id", .string(c.code)), ("geometry_changed", .bool(c.geometryChanged)),
                                    ("households_before", .integer(Int64(c.householdsBefore))), ("households_after", .integer(Int64(c.householdsAfter)))]))
            })),
            ("moves", .array(flows.map { f in
                .object(JSONObject([("item", .string(f.item.rawValue)), ("from", f.from.json), ("to", f.to.json),
                                    ("count", .integer(Int64(f.count))), ("households", .integer(Int64(f.households)))]))
            })),
        ]))
    }
}
