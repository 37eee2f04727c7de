import Geo

/// Turns a GeoJSON file of grids (properties `grid_id`, `name`, `households`) into grids, refusing
/// invalid, multi-part, duplicate or overlapping ones with the offending ids.
public struct GridImporter {
    public let crs: CRS
    public init(crs: CRS = .crs84) { self.crs = crs }

    /// - Parameter existing: grids already in the layer the new ones join (empty when replacing).
    public func grids(from bytes: [UInt8], existing: [Grid] = []) throws(ImportError) -> [Grid] {
        let source = try FeatureSource(bytes: bytes, crs: crs)
        let ctx = GEOSContext()
        var problems: [ImportProblem] = []
        var grids: [Grid] = []
        var featureOf: [Int] = []      // grids[i] came from features[featureOf[i]]
        var seen = Dictionary(existing.map { ($0.code, -1) }, uniquingKeysWith: { a, _ in a })

        for (k, f) in source.features.enumerated() {
            let code = FeatureSource.text(f[property: "grid_id"])
            let label = code.map { "grid_id \($0)" }
            var bad: [String] = []
            if code == nil { bad.append("property grid_id is missing or empty (a string or integer grid code)") }
            // An explicit figure a planner sets, shown as such; it wins over the household count.
            var override: Int?
            if let o = f[property: "households_override"], o != .null {
                if let n = o.integerValue, n >= 0 { override = Int(n) } else { bad.append("households_override must be a non-negative integer or null") }
            }
            let name = FeatureSource.text(f[property: "name"])
            if name == nil { bad.append("property name is missing or empty") }
            let households = f[property: "households"]?.integerValue
            if households == nil { bad.append("property households is missing or not an integer") }
            else if households! < 0 { bad.append("households is negative (\(households!))") }
            if let code, let first = seen[code] {
                bad.append(first < 0 ? "grid_id already exists in the live layer" : "duplicate grid_id (also features[\(first)])")
            }
            if let code, seen[code] == nil { seen[code] = k }
            problems += bad.map { ImportProblem(feature: k, label: label, reason: $0) }

            switch FeatureSource.polygons(f, k, label, context: ctx) {
            case .failure(let p): problems.append(p)
            case .success(let polys):
                if polys.count > 1 {
                    problems.append(ImportProblem(feature: k, label: label, reason: "a grid must be one polygon, this one has \(polys.count) parts"))
                } else if bad.isEmpty, let code, let name, let households {
                    grids.append(Grid(code: code, name: name, households: Int(households), polygon: polys[0], householdsOverride: override))
                    featureOf.append(k)
                }
            }
        }
        problems += overlaps(grids, featureOf, existing, ctx)
        guard problems.isEmpty else { throw ImportError(problems) }
        return grids
    }

    /// Pairs whose interiors share an area; touching along edges is how grids should meet.
    private func overlaps(_ grids: [Grid], _ featureOf: [Int], _ existing: [Grid], _ ctx: GEOSContext) -> [ImportProblem] {
        let all = grids + existing
        var problems: [ImportProblem] = []
        do {
            let shapes = try all.map { (g) throws(GEOSError) in try ctx.shape(.polygon(g.polygon)) }
            let tree = try STRtree(context: ctx)
            for (i, s) in shapes.enumerated() { if let b = s.envelope { try tree.insert(b, id: i) } }
            for (i, s) in shapes.prefix(grids.count).enumerated() {
                guard let b = s.envelope else { continue }
                let prepared = try s.prepared()
                var others: [String] = []
                for j in try tree.query(b).sorted() where j != i && (j >= grids.count || j > i) {
                    guard prepared.intersects(shapes[j]), s.overlapsInArea(shapes[j]) else { continue }
                    others.append(j < grids.count ? "grid_id \(all[j].code) (features[\(featureOf[j])])" : "live grid \(all[j].code)")
                }
                guard !others.isEmpty else { continue }
                // One line per grid, however many it overlaps: a misplaced file overlaps dozens.
                let shown = others.prefix(5).joined(separator: ", ")
                let more = others.count > 5 ? " and \(others.count - 5) more" : ""
                problems.append(ImportProblem(feature: featureOf[i], label: "grid_id \(grids[i].code)", reason: "overlaps \(shown)\(more)"))
            }
        } catch {
            problems.append(ImportProblem(feature: nil, reason: "overlap check failed: \(error)"))
        }
        return problems
    }
}
