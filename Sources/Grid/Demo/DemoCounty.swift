import Foundation
import Geo

/// Builds the demo county from a real county boundary: towns and villages cut by where people
/// live, about 250,000 households (dense in the county seat and town centres, sparse in the hills),
/// grids made by the same partitioner planners use, cameras of every network, grid workers with
/// duty rosters. Same seed, same county.
public struct DemoCounty {
    public let county: Boundary
    public var seed: UInt64
    public var townCount = 37
    /// Household targets: county seat, each town centre, and the countryside.
    public var seatHouseholds = 70_000
    public var townCentreHouseholds = 2_200
    public var ruralHouseholds = 100_000
    /// Households per village when villages are cut.
    public var villageHouseholds = 1_100
    public var fullTimeWorkers = 356
    public var partTimeWorkers = 263
    /// Ids already taken in the database (by the counties built before this one).
    public var firstHouseholdID: Int64 = 1
    public var firstWorkerID: Int64 = 1
    public static let cameraCounts: [(Camera.Kind, Int)] = [
        (.tianwang, 2_360), (.xueliang, 5_120), (.faceRecognition, 212), (.hospital, 318), (.school, 340),
        (.forestFire, 8), (.shipping, 4), (.floodLevel, 8), (.social, 397),
    ]

    /// A 天网/雪亮 camera as they are mounted: on a pole at the street, which is where grids meet
    /// (街巷定界), a few metres to one side of the nearest grid edge. A quarter are domes (360°,
    /// 100 m); the rest are bullets looking along the street (60–90°, 50–150 m, up to 25° off its line).
    static func mountOnStreet(_ camera: inout Camera, _ layer: GridLayer, _ rng: inout SeededRandom) {
        guard let grid = layer.grid(at: camera.position) else { return }
        let plane = LocalPlane(origin: camera.position)
        var best: (d: Double, foot: LocalPlane.Point, dx: Double, dy: Double)?
        let ring = grid.polygon.exterior.map(plane.point)
        for (a, b) in zip(ring, ring.dropFirst()) {
            let dx = b.x - a.x, dy = b.y - a.y, len2 = dx * dx + dy * dy
            guard len2 > 0 else { continue }
            let t = max(0, min(1, -(a.x * dx + a.y * dy) / len2))   // the pole is the plane's origin
            let foot = LocalPlane.Point(x: a.x + t * dx, y: a.y + t * dy)
            let d = (foot.x * foot.x + foot.y * foot.y).squareRoot()
            if best == nil || d < best!.d { best = (d, foot, dx, dy) }
        }
        guard let street = best else { return }
        // Near a grid edge (a village street): 3–8 m off its line, on either side. Far from every
        // edge (a lane inside a large rural grid), where it stands, looking any way.
        let near = street.d < 400
        let len = (street.dx * street.dx + street.dy * street.dy).squareRoot()
        let side = (rng.next() & 1 == 0 ? 1.0 : -1.0) * (3 + 5 * rng.unit())
        let x = street.foot.x - street.dy / len * side, y = street.foot.y + street.dx / len * side
        // The side where a grid is (the county's outer edge has one only).
        if near {
            let here = plane.position(LocalPlane.Point(x: x, y: y))
            let there = plane.position(LocalPlane.Point(x: 2 * street.foot.x - x, y: 2 * street.foot.y - y))
            camera.position = layer.grid(at: here) != nil ? here : there
        }
        if rng.unit() < 0.25 {
            camera.view = try? Camera.View(azimuth: 0, fov: 360, rangeM: 100)
        } else {
            let along = near ? atan2(street.dx, street.dy) * 180 / .pi + (rng.next() & 1 == 0 ? 0 : 180) : rng.unit() * 360
            var azimuth = (along + (rng.unit() * 2 - 1) * 25).truncatingRemainder(dividingBy: 360)
            if azimuth < 0 { azimuth += 360 }
            if azimuth >= 360 { azimuth = 0 }
            camera.view = try? Camera.View(azimuth: azimuth, fov: 60 + 30 * rng.unit(), rangeM: 50 + 100 * rng.unit())
        }
    }

    public init(county: Boundary, seed: UInt64 = 1) {
        self.county = county
        self.seed = seed
    }

    /// A smaller (or larger) county: households, towns and workers scaled by `factor` (at least
    /// three towns); cameras keep their numbers.
    public func scaled(by factor: Double) -> DemoCounty {
        var d = self
        func scale(_ n: Int) -> Int { Int((Double(n) * factor).rounded()) }
        d.seatHouseholds = scale(seatHouseholds)
        d.townCentreHouseholds = scale(townCentreHouseholds)
        d.ruralHouseholds = scale(ruralHouseholds)
        d.townCount = max(3, scale(townCount))
        d.fullTimeWorkers = scale(fullTimeWorkers)
        d.partTimeWorkers = scale(partTimeWorkers)
        return d
    }

    public struct Result: Sendable {
        public var towns: [Boundary]
        public var villages: [Boundary]
        public var grids: [Grid]
        public var households: [Household]
        public var cameras: [Camera]
        public var workers: [Worker]
        public var posts: [GridPost]
        public var shifts: [DutyShift]
        /// 微网格 of every grid; their leaders are among `workers`.
        public var microgrids: [MicroGrid] = []
    }

    public func build() throws -> Result {
        var rng = SeededRandom(seed: seed)
        var names = DemoNames(rng: SeededRandom(seed: seed &+ 0x5EED))
        let ctx = GEOSContext()
        let inCounty = PointLocator(polygons: county.area)
        let box = Geometry.multiPolygon(county.area).boundingBox!
        func inside(_ p: Position) -> Bool { inCounty.locate(p.lon, p.lat) != nil }
        func randomInside() -> Position {
            while true {
                let p = Position(box.minLon + rng.unit() * (box.maxLon - box.minLon), box.minLat + rng.unit() * (box.maxLat - box.minLat))
                if inside(p) { return p }
            }
        }
        func near(_ c: Position, _ sigma: Double) -> Position {
            for _ in 0..<100 {
                let p = Position(c.lon + rng.normal() * sigma, c.lat + rng.normal() * sigma)
                if inside(p) { return p }
            }
            return c
        }

        // Town centres, at least ~3 km apart; the first is the county seat near the middle.
        var centres = [near(Position((box.minLon + box.maxLon) / 2, (box.minLat + box.maxLat) / 2), 0.01)]
        while centres.count < townCount {
            let p = randomInside()
            if centres.allSatisfy({ hypot($0.lon - p.lon, $0.lat - p.lat) > 0.03 }) { centres.append(p) }
        }

        // Households: apartment blocks in the seat, smaller buildings in town centres, farmhouses.
        var addresses: [(Position, Int, Bool)] = []   // position, households, urban
        func scatter(_ total: Int, _ centre: Position?, _ sigma: Double, _ sizes: ClosedRange<Int>, urban: Bool) {
            var left = total
            while left > 0 {
                let n = min(left, sizes.lowerBound + Int(rng.next() % UInt64(sizes.count)))
                addresses.append((centre.map { near($0, sigma) } ?? randomInside(), n, urban))
                left -= n
            }
        }
        scatter(seatHouseholds, centres[0], 0.018, 10...60, urban: true)
        for c in centres.dropFirst() { scatter(townCentreHouseholds, c, 0.005, 3...30, urban: true) }
        scatter(ruralHouseholds, nil, 0, 1...4, urban: false)

        // Towns: Voronoi of the centres within the county.
        let townAreas = try Tessellation.voronoi(seeds: centres, within: county.area, context: ctx)
        var towns: [Boundary] = []
        for (k, area) in townAreas.enumerated() {
            guard let area else { continue }
            let code = county.code + String(format: "%03d", towns.count + 1)
            towns.append(Boundary(code: code, name: k == 0 ? (county.code == "511725" ? "渠江街道" : names.place("街道")) : names.place(rng.next() % 4 == 0 ? "乡" : "镇"),
                                  level: .town, parentCode: county.code, area: [area]))
        }
        let townOf = PointLocator(polygons: towns.map { $0.area[0] })
        var townAddresses = [[Int]](repeating: [], count: towns.count)
        for (i, a) in addresses.enumerated() { if let t = townOf.locate(a.0.lon, a.0.lat) { townAddresses[t].append(i) } }

        // Villages: seeds drawn where households are, so each village has roughly the same number.
        let partitioner = Partitioner()
        var villages: [Boundary] = []
        var grids: [Grid] = []
        for (t, town) in towns.enumerated() {
            let members = townAddresses[t]
            let total = members.reduce(0) { $0 + addresses[$1].1 }
            let n = max(1, Int((Double(total) / Double(villageHouseholds)).rounded()))
            var seeds: [Position] = []
            for _ in 0..<n {
                var r = Int(rng.next() % UInt64(max(total, 1)))
                for i in members { r -= addresses[i].1; if r < 0 { seeds.append(addresses[i].0); break } }
            }
            seeds = Array(Set(seeds)).sorted { ($0.lon, $0.lat) < ($1.lon, $1.lat) }
            var areas = try Tessellation.voronoi(seeds: seeds, within: town.area, context: ctx).compactMap { $0 }
            // A village whose households leave little room in the band (602 households: two grids of
            // 300–302) joins its neighbour with the longest shared edge.
            while areas.count > 1 {
                let loc = PointLocator(polygons: areas)
                var counts = [Int](repeating: 0, count: areas.count)
                for i in members { if let v = loc.locate(addresses[i].0.lon, addresses[i].0.lat) { counts[v] += addresses[i].1 } }
                let room = counts.map { partitioner.slack(for: $0) ?? -1 }
                guard let weak = room.indices.min(by: { room[$0] < room[$1] }), room[weak] < 40 else { break }
                let w = try ctx.shape(.polygon(areas[weak]))
                let others = try areas.indices.map { j -> Shape? in j == weak ? nil : try ctx.shape(.polygon(areas[j])) }
                guard let j = try w.neighbourSharingMostEdge(among: others),
                      case .polygon(let merged) = try ctx.shape(.polygon(areas[j])).union(w).snapped().geometry else { break }
                areas[j] = merged
                areas.remove(at: weak)
            }
            let loc = PointLocator(polygons: areas)
            var villagePoints = [[(position: Position, households: Int)]](repeating: [], count: areas.count)
            var urbanShare = [Int](repeating: 0, count: areas.count), totals = [Int](repeating: 0, count: areas.count)
            for i in members {
                guard let v = loc.locate(addresses[i].0.lon, addresses[i].0.lat) else { continue }
                villagePoints[v].append((addresses[i].0, addresses[i].1))
                totals[v] += addresses[i].1
                if addresses[i].2 { urbanShare[v] += addresses[i].1 }
            }
            // A village still too small or awkward for the band (a small town may be one village of
            // 532 households) gets a few more farmhouses: the demo's households are invented anyway.
            for (v, area) in areas.enumerated() where (partitioner.slack(for: totals[v]) ?? -1) < 40 {
                let inVillage = PointLocator(polygons: [area])
                let vb = Geometry.polygon(area).boundingBox!
                while (partitioner.slack(for: totals[v]) ?? -1) < 40 {
                    let p = Position(vb.minLon + rng.unit() * (vb.maxLon - vb.minLon), vb.minLat + rng.unit() * (vb.maxLat - vb.minLat))
                    guard inVillage.locate(p.lon, p.lat) != nil else { continue }
                    let n = 1 + Int(rng.next() % 4)
                    addresses.append((p, n, false))
                    villagePoints[v].append((p, n))
                    totals[v] += n
                }
            }
            for (v, area) in areas.enumerated() {
                let urban = urbanShare[v] * 2 > totals[v]
                let code = town.code + String(format: "%03d", v + 1)
                let village = Boundary(code: code, name: names.place(urban ? "社区" : "村"), level: .village, parentCode: town.code, area: [area])
                villages.append(village)
                let pieces: [Partitioner.Piece]
                do { pieces = try partitioner.partition(area, points: villagePoints[v], context: ctx) } catch {
                    throw PlanError("village \(code) (\(totals[v]) households): \(error)")
                }
                for (n, p) in pieces.enumerated() {
                    let kind: Grid.Kind = urban ? (rng.next() % 25 == 0 ? .dedicated : .urban) : .rural
                    grids.append(Grid(code: code + String(format: "%03d", n + 1), name: "\(village.name)第\(n + 1)网格",
                                      households: p.households, polygon: p.polygon, kind: kind))
                }
            }
        }

        // Households with their grids and population.
        let layer = GridLayer(grids: grids)
        var households: [Household] = []
        var population = [Int](repeating: 0, count: grids.count)
        for (i, a) in addresses.enumerated() {
            let people = Int((Double(a.1) * (2.2 + rng.unit() * 1.2)).rounded())
            let g = layer.locator.locate(a.0.lon, a.0.lat)
            if let g { population[g] += people }
            households.append(Household(id: firstHouseholdID + Int64(i), address: "\(county.name) \(i + 1) 号", households: a.1, population: people,
                                        position: a.0, gridCode: g.map { grids[$0].code }))
        }
        for k in grids.indices { grids[k].population = population[k] }

        // Cameras: city networks where people live, 雪亮 in the villages, the rest where they watch.
        let urbanAddresses = addresses.indices.filter { addresses[$0].2 }
        let ruralAddresses = addresses.indices.filter { !addresses[$0].2 }
        var cameras: [Camera] = []
        // Views from their own sequence, so the rest of the county stays as the seed made it.
        var viewRandom = SeededRandom(seed: seed ^ 0x5EC7_0B5E)
        for (kind, count) in Self.cameraCounts {
            for _ in 0..<count {
                let p: Position
                switch kind {
                case .xueliang: p = near(addresses[ruralAddresses[Int(rng.next() % UInt64(ruralAddresses.count))]].0, 0.001)
                case .forestFire: p = randomInside()
                case .shipping, .floodLevel: p = near(centres[0], 0.02)
                default: p = near(addresses[urbanAddresses[Int(rng.next() % UInt64(urbanAddresses.count))]].0, 0.0005)
                }
                let id = String(format: "%@-CAM-%05d", county.code, cameras.count + 1)
                var camera = Camera(id: id, kind: kind, name: "\(kind.rawValue) \(cameras.count + 1)", position: p)
                if kind == .tianwang || kind == .xueliang { Self.mountOnStreet(&camera, layer, &viewRandom) }
                cameras.append(layer.located(camera))
            }
        }

        // Staff: a leader per village (leads all its grids), a police officer per town (four in the
        // seat), full-time workers for the largest grids, part-time for the rest.
        var workers: [Worker] = []
        var posts: [GridPost] = []
        var shifts: [DutyShift] = []
        func hire(_ role: Worker.Role) -> Int64 {
            let id = firstWorkerID + Int64(workers.count)
            workers.append(Worker(id: id, name: names.person(), role: role, phone: names.phone()))
            return id
        }
        for v in villages {
            let leader = hire(.leader)
            for g in grids where g.code.hasPrefix(v.code) { posts.append(GridPost(gridCode: g.code, workerID: leader, role: .leader)) }
        }
        for (t, town) in towns.enumerated() {
            let officers = (0..<(t == 0 ? 4 : 1)).map { _ in hire(.police) }
            for (n, g) in grids.filter({ $0.code.hasPrefix(town.code) }).enumerated() {
                posts.append(GridPost(gridCode: g.code, workerID: officers[n % officers.count], role: .police))
            }
        }
        let bySize = grids.indices.sorted { (grids[$0].kind == .rural ? 1 : 0, -grids[$0].households) < (grids[$1].kind == .rural ? 1 : 0, -grids[$1].households) }
        for (n, k) in bySize.enumerated() {
            let code = grids[k].code
            if n < fullTimeWorkers {
                let w = hire(.fullTime)
                posts.append(GridPost(gridCode: code, workerID: w, role: .fullTime))
                for day in 1...5 { shifts.append(DutyShift(gridCode: code, workerID: w, weekday: day, start: 8 * 60 + 30, end: 17 * 60 + 30)) }
                shifts.append(DutyShift(gridCode: code, workerID: w, weekday: 6, start: 9 * 60, end: 12 * 60))
            }
        }
        // Part-time workers: the grids without a full-time one first, then evening cover elsewhere.
        let partTimeGrids = Array(bySize.dropFirst(fullTimeWorkers)) + Array(bySize.prefix(fullTimeWorkers))
        for k in partTimeGrids.prefix(partTimeWorkers) {
            let code = grids[k].code
            let w = hire(.partTime)
            posts.append(GridPost(gridCode: code, workerID: w, role: .partTime))
            for day in 1...5 { shifts.append(DutyShift(gridCode: code, workerID: w, weekday: day, start: 18 * 60, end: 21 * 60)) }
            shifts.append(DutyShift(gridCode: code, workerID: w, weekday: 7, start: 9 * 60, end: 17 * 60))
        }
        let micro = DemoMicroGrids(grids: grids, households: households, names: &names,
                                   firstWorkerID: firstWorkerID + Int64(workers.count), context: ctx)
        return Result(towns: towns, villages: villages, grids: grids, households: households, cameras: cameras,
                      workers: workers + micro.leaders, posts: posts, shifts: shifts, microgrids: micro.microgrids)
    }
}
