import Geo

/// The demo's micro-grids (微网格): every grid cut by the planners' partitioner into pieces of
/// 10–60 households — an apartment block or two in town, a cluster of farmhouses in the hills —
/// each with a resident volunteer as its leader (微网格长).
struct DemoMicroGrids {
    var microgrids: [MicroGrid] = []
    var leaders: [Worker] = []

    init(grids: [Grid], households: [Household], names: inout DemoNames, firstWorkerID: Int64, context ctx: GEOSContext) {
        var points: [String: [(position: Position, households: Int)]] = [:]
        for h in households { if let g = h.gridCode { points[g, default: []].append((h.position, h.households)) } }
        for g in grids {
            let pieces = Self.pieces(g, points[g.code] ?? [], ctx)
            for (n, p) in pieces.enumerated() {
                let id = firstWorkerID + Int64(leaders.count)
                leaders.append(Worker(id: id, name: names.person(), role: .microgridLeader, phone: names.phone()))
                microgrids.append(MicroGrid(code: g.code + String(format: "%03d", n + 1),
                                            name: "\(g.name)\(g.kind == .rural ? "第\(n + 1)组" : "\(n + 1)号楼")",
                                            households: p.households, leaderID: id, polygon: p.polygon))
            }
        }
    }

    /// The grid cut in the micro-grid band; a wider band when the addresses are too lumpy for it;
    /// the whole grid as one micro-grid when neither works.
    private static func pieces(_ g: Grid, _ points: [(position: Position, households: Int)], _ ctx: GEOSContext) -> [Partitioner.Piece] {
        for band in [MicroGrid.householdBand, 5...100] {
            if let p = try? Partitioner(band: band).partition(g.polygon, points: points, context: ctx) { return p }
        }
        return [Partitioner.Piece(polygon: g.polygon, households: points.reduce(0) { $0 + $1.households })]
    }
}
