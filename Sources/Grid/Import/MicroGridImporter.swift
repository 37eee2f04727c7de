import Geo

/// Reads micro-grids (微网格) from GeoJSON: one polygon each, properties `microgrid_id` (the grid's
/// code and three digits), `name`, and optionally the leader's `leader_name` and `leader_phone`.
/// All or nothing: every problem is reported, naming the feature. Refused: an id that is not an
/// existing grid's code and three digits, a duplicate, an invalid or multi-part polygon, a
/// micro-grid reaching outside its grid or overlapping another. A gap (part of a grid in no
/// micro-grid) is allowed and reported by validation.
public struct MicroGridImporter {
    public let crs: CRS
    public init(crs: CRS = .crs84) { self.crs = crs }

    public struct Result: Sendable {
        public var microgrids: [MicroGrid]
        /// New or renamed leaders (role `microgrid_leader`).
        public var leaders: [Worker]
        /// The grids whose micro-grids the file replaces.
        public var grids: Set<String>
        /// What validation says of the imported micro-grids that does not refuse them (gaps).
        public var problems: [LayerProblem]
    }

    /// - Parameters:
    ///   - grids: the live layer; every micro-grid must be in one of its grids.
    ///   - current: the micro-grids in the store (a re-imported micro-grid keeps its leader's id).
    ///   - households: address points, counted into the micro-grids.
    ///   - nextWorkerID: the first free worker id, for new leaders.
    public func microgrids(from bytes: [UInt8], grids: [Grid], current: [MicroGrid], households: [Household],
                           nextWorkerID: Int64) throws -> Result {
        let source = try FeatureSource(bytes: bytes, crs: crs)
        let ctx = GEOSContext()
        let gridCodes = Set(grids.map(\.code))
        let leaderOf = Dictionary(current.compactMap { m in m.leaderID.map { (m.code, $0) } }, uniquingKeysWith: { a, _ in a })
        var problems: [ImportProblem] = []
        var out: [MicroGrid] = [], leaders: [Worker] = [], featureOf: [String: Int] = [:]
        var next = nextWorkerID
        for (k, f) in source.features.enumerated() {
            let code = FeatureSource.text(f[property: "microgrid_id"])
            let label = code.map { "microgrid_id \($0)" }
            func problem(_ reason: String) { problems.append(ImportProblem(feature: k, label: label, reason: reason)) }
            guard let code else { problem("property microgrid_id is missing or empty (the grid's code and three digits)"); continue }
            let grid = String(code.dropLast(3))
            guard code.utf8.count > 3, MicroGrid.isCode(code, of: grid) else {
                problem("microgrid_id must be a grid's code and three digits")
                continue
            }
            guard gridCodes.contains(grid) else { problem("no grid \(grid) in the live layer (microgrid_id starts with its grid's code)"); continue }
            if let first = featureOf[code] { problem("duplicate microgrid_id (also features[\(first)])"); continue }
            featureOf[code] = k
            let polygon: Polygon
            switch FeatureSource.polygons(f, k, label, context: ctx) {
            case .failure(let p): problems.append(p); continue
            case .success(let polys):
                guard polys.count == 1 else { problem("a micro-grid must be one polygon, this one has \(polys.count) parts"); continue }
                polygon = polys[0]
            }
            var leaderID: Int64?
            if let name = FeatureSource.text(f[property: "leader_name"]) {
                let id = leaderOf[code] ?? { defer { next += 1 }; return next }()
                leaders.append(Worker(id: id, name: name, role: .microgridLeader, phone: FeatureSource.text(f[property: "leader_phone"]) ?? ""))
                leaderID = id
            } else if f[property: "leader_phone"] != nil, f[property: "leader_phone"] != .null {
                problem("leader_phone without leader_name")
                continue
            }
            out.append(MicroGrid(code: code, name: FeatureSource.text(f[property: "name"]) ?? code, leaderID: leaderID, polygon: polygon))
        }
        guard problems.isEmpty else { throw ImportError(problems) }
        // Against the grids they name: overlaps and overhangs refuse the file, gaps are reported.
        let named = Set(out.map(\.gridCode))
        let found = try MicroGridValidator().validate(out, grids: grids.filter { named.contains($0.code) })
        for p in found where p.kind != .microgridGap {
            let k = p.gridCodes.compactMap { featureOf[$0] }.first
            problems.append(ImportProblem(feature: k, label: p.gridCodes.first.map { "microgrid_id \($0)" }, reason: "\(p.kind.rawValue): \(p.detail)"))
        }
        guard problems.isEmpty else { throw ImportError(problems) }
        let layer = MicroGridLayer(microgrids: out)
        var counts = [Int](repeating: 0, count: out.count)
        for h in households { if let k = layer.locator.locate(h.position.lon, h.position.lat) { counts[k] += h.households } }
        for k in out.indices { out[k].households = counts[k] }
        return Result(microgrids: out, leaders: leaders, grids: named, problems: found.filter { $0.kind == .microgridGap })
    }
}
