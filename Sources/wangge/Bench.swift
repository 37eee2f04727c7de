import Media
import ArgumentParser
import Foundation
import Geo
import Cases
import Grid

/// Benchmark helpers, used by `make bench`; figures go to stdout, never into pass/fail tests.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmark helpers.", subcommands: [BenchPoints.self, BenchKernel.self, BenchNumbers.self, BenchViews.self, BenchGrids.self, BenchCases.self, BenchField.self, BenchPhotos.self])
}

struct BenchPoints: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "points",
        abstract: "Write N random points over the grid layer's extent as CSV id,lon,lat.")
    @Option(help: "Database: a SpatiaLite file path, or postgresql://user@host:port/name (PostGIS).") var db: String
    @Option var count = 1_000_000
    @Option var seed: UInt64 = 7
    @Option(help: "Decimals per coordinate; without it, full precision (the shortest text that reads back exactly, as Python, PostGIS and JavaScript write).") var decimals: Int?

    func run() throws {
        let grids = try connect(db).grids.grids()
        var box = Geometry.polygon(grids[0].polygon).boundingBox!
        for g in grids { box.extend(Geometry.polygon(g.polygon).boundingBox!) }
        var rng = SeededRandom(seed: seed)
        var out = "id,lon,lat\n"
        for k in 0..<count {
            let lon = box.minLon + rng.unit() * (box.maxLon - box.minLon)
            let lat = box.minLat + rng.unit() * (box.maxLat - box.minLat)
            if let decimals {
                out += "p\(k),\(String(format: "%.\(decimals)f", lon)),\(String(format: "%.\(decimals)f", lat))\n"
            } else {
                out += "p\(k),\(lon),\(lat)\n"
            }
            if out.utf8.count > 1 << 20 || k == count - 1 {
                FileHandle.standardOutput.write(Data(out.utf8))
                out = ""
            }
        }
    }
}

struct BenchKernel: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kernel",
        abstract: "Time the in-memory assignment kernel on a points CSV; prints points/second (one core).")
    @Option(help: "Database: a SpatiaLite file path, or postgresql://user@host:port/name (PostGIS).") var db: String
    @Option(help: "Points CSV (id,lon,lat).") var points: String
    @Option var rounds = 5

    func run() throws {
        let layer = GridLayer(grids: try connect(db).grids.grids())
        var xs: [Double] = [], ys: [Double] = []
        let text = try String(contentsOfFile: points, encoding: .utf8)
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",")
            xs.append(Double(f[1])!)
            ys.append(Double(f[2])!)
        }
        var result = [Int32](repeating: -1, count: xs.count)
        var best = Double.infinity
        for _ in 0..<rounds {
            let t0 = DispatchTime.now().uptimeNanoseconds
            xs.withUnsafeBufferPointer { x in ys.withUnsafeBufferPointer { y in
                result.withUnsafeMutableBufferPointer { layer.locator.locate(xs: x, ys: y, into: $0) } } }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        let assigned = result.filter { $0 >= 0 }.count
        print(String(format: "kernel %.1f M points/s (%d points, %d in a grid, best of %d)", Double(xs.count) / best / 1e6, xs.count, assigned, rounds))
    }
}

struct BenchNumbers: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "numbers",
        abstract: "Time parsing the lon and lat fields of a points CSV: Wangge's parser and the C library's strtod (one core).")
    @Option(help: "Points CSV (id,lon,lat).") var points: String
    @Option var rounds = 5

    func run() throws {
        let bytes = try readFile(points)
        // The ranges of the second and third fields of every line after the header, found first so
        // that only the parsing is timed.
        var ranges: [(Int, Int)] = []
        var fieldStart = 0, field = 0, line = 0
        for (k, c) in bytes.enumerated() where c == 0x2C || c == 0x0A {
            if line > 0 && (field == 1 || field == 2) { ranges.append((fieldStart, k)) }
            if c == 0x0A { line += 1; field = 0 } else { field += 1 }
            fieldStart = k + 1
        }
        let parser = DecimalParser.shared
        func time(_ body: (UnsafePointer<UInt8>) -> Double) -> (Double, Double) {
            var best = Double.infinity, sum = 0.0
            bytes.withUnsafeBufferPointer { b in
                for _ in 0..<rounds {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    sum = body(b.baseAddress!)
                    best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
                }
            }
            return (best, sum)
        }
        // As `wangge assign` reads a field: where it stands, the bytes after it readable.
        let (ours, a) = time { p in
            ranges.reduce(0.0) { acc, r in
                guard let n = parser.scan(p, r.0, r.1, readable: bytes.count), n.next == r.1 else { return .nan }
                return acc + n.value
            }
        }
        var scratch = [CChar](repeating: 0, count: 64)
        let (libc, b) = time { p in
            ranges.reduce(0.0) { acc, r in
                let n = min(r.1 - r.0, 63)
                return scratch.withUnsafeMutableBufferPointer { s in
                    UnsafeMutableRawPointer(s.baseAddress!).copyMemory(from: p + r.0, byteCount: n)
                    s[n] = 0
                    return acc + strtod(s.baseAddress!, nil)
                }
            }
        }
        guard a == b else { throw ValidationError("the parsers disagree (sums \(a) and \(b))") }
        print(String(format: "numbers: wangge %.0f M/s, strtod %.0f M/s (%d numbers, same values, best of %d)",
                     Double(ranges.count) / ours / 1e6, Double(ranges.count) / libc / 1e6, ranges.count, rounds))
    }
}

struct BenchViews: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "views",
        abstract: "Time routing camera alerts by view area in memory (every camera with a view, at random bearings), and check each against GEOS intersection areas.")
    @Option(help: "Database: a SpatiaLite file path, or postgresql://user@host:port/name (PostGIS).") var db: String
    @Option var alerts = 200_000
    @Option(help: "How many of them to check against GEOS.") var checks = 2_000

    func run() throws {
        let store = try connect(db).grids
        let layer = GridLayer(grids: try store.grids())
        let cameras = try store.cameras().filter { $0.view != nil }
        guard !cameras.isEmpty else { throw ValidationError("no camera in \(db) has a view") }
        var rng = SeededRandom(seed: 5)
        let bearings = (0..<alerts).map { _ in rng.unit() * 360 }
        var routed = [Int32](repeating: -1, count: alerts)
        let index = Dictionary(uniqueKeysWithValues: layer.grids.enumerated().map { ($1.code, Int32($0)) })
        var best = Double.infinity
        for _ in 0..<3 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            for k in 0..<alerts {
                routed[k] = layer.viewedGrid(of: cameras[k % cameras.count], bearing: bearings[k]).flatMap { index[$0.code] } ?? -1
            }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        // GEOS: the grid with the largest intersection area (near-ties, within 1e-6, skipped).
        let ctx = GEOSContext()
        let shapes = try layer.grids.map { try ctx.shape(.polygon($0.polygon)) }
        var agree = 0, compared = 0, tEnd = 0.0
        let t0 = DispatchTime.now().uptimeNanoseconds
        for k in stride(from: 0, to: alerts, by: max(1, alerts / checks)) {
            var sector = cameras[k % cameras.count].view!.sector(at: cameras[k % cameras.count].position)
            sector.azimuth = bearings[k]
            let s = try ctx.shape(.polygon(sector.polygon))
            var areas: [(Int32, Double)] = []
            for (g, shape) in shapes.enumerated() where shape.intersects(s) {
                let a = try shape.intersection(s).planarArea
                if a > 0 { areas.append((Int32(g), a)) }
            }
            areas.sort { $0.1 > $1.1 }
            guard let top = areas.first, !(areas.count > 1 && areas[1].1 > top.1 * (1 - 1e-6)) else { continue }
            let pole = layer.locator.locate(sector.apex.lon, sector.apex.lat).map(Int32.init)
            let poleArea = areas.first { $0.0 == pole }?.1 ?? 0
            let expected = poleArea >= top.1 * (1 - 1e-9) ? (pole ?? -1) : top.0
            compared += 1
            if expected == routed[k] { agree += 1 }
        }
        tEnd = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        print(String(format: "views: %.0f alerts/s in memory (%d cameras with a view, %d alerts, best of 3); GEOS agrees on %d of %d checked (%.0f/s with GEOS)",
                     Double(alerts) / best, cameras.count, alerts, agree, compared, Double(compared) / tEnd))
    }
}

struct BenchGrids: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "grids",
        abstract: "Time validating the live layer, re-partitioning the whole county in a plan, and publishing it.")
    @Option(help: "Database file (a demo county; it gets a new version).") var db: String

    func run() throws {
        let planning = GridPlanning(store: try connect(db).grids)
        func time<T>(_ body: () throws -> T) rethrows -> (T, Double) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let v = try body()
            return (v, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        // Start from a hand-drawn-like layer (each village cut into 2–3 Voronoi cells at random,
        // households unbalanced), as a county's layer is before a redraw; publishing the
        // re-partition then moves households and cameras for real.
        guard let county = try planning.store.boundaries().first(where: { $0.level == .county }) else { throw ValidationError("no county boundary") }
        // The demo's layer with its micro-grids, validated whole (best of 3); then the micro-grids
        // go, so that the hand-drawn layer below is compared with the peers on grids alone.
        let micro = try planning.store.microgrids()
        if !micro.isEmpty {
            var best = Double.infinity, found = 0
            for _ in 0..<3 {
                let (p, t) = try time { try planning.validate(plan: nil) }
                best = min(best, t)
                found = p.count
            }
            print(String(format: "%-44@ %.3f s (%d grids and %d micro-grids, %d problems)", "validate the layer with micro-grids" as NSString,
                         best, try planning.store.grids().count, micro.count, found))
            try planning.store.replaceMicrogrids(ofGrids: Set(micro.map(\.gridCode)), with: [], leaders: [])
        }
        let ctx = GEOSContext()
        var rng = SeededRandom(seed: 99)
        var drawn: [Grid] = []
        for v in try planning.store.boundaries() where v.level == .village {
            let box = Geometry.multiPolygon(v.area).boundingBox!
            let inV = PointLocator(polygons: v.area)
            var seeds: [Position] = []
            while seeds.count < 2 + Int(rng.next() % 2) {
                let p = Position(box.minLon + rng.unit() * (box.maxLon - box.minLon), box.minLat + rng.unit() * (box.maxLat - box.minLat))
                if inV.locate(p.lon, p.lat) != nil { seeds.append(p) }
            }
            for (n, cell) in try Tessellation.voronoi(seeds: seeds, within: v.area, context: ctx).compactMap({ $0 }).enumerated() {
                drawn.append(Grid(code: v.code + String(format: "%03d", n + 1), name: "\(v.name) \(n + 1)", households: 0, polygon: cell))
            }
        }
        _ = try planning.store.publish(drawn, note: "bench: hand-drawn layer", planID: nil, effectiveAt: Date())
        let live = try planning.store.grids()
        let (problems, tValidate) = try time { try planning.validate(plan: nil) }
        let geometric = problems.filter { [.invalid, .overlap, .gap, .crossesParent, .multiPart].contains($0.kind) }.count
        print(String(format: "%-44@ %.3f s (%d grids, %d problems, %d of them geometric)", "validate a hand-drawn layer" as NSString,
                     tValidate, live.count, problems.count, geometric))
        let plan = try planning.newPlan(name: "bench: re-partition the county")
        let households = try planning.store.households().reduce(0) { $0 + $1.households }
        let (made, tPartition) = try time { try planning.edit(plan: plan.id) { try $0.partition(county.code) } }
        print(String(format: "%-44@ %.3f s (%d households into %d grids)", "re-partition the whole county" as NSString, tPartition, households, made.count))
        let grids = try planning.store.planGrids(id: plan.id)
        let counts = grids.map(\.households).sorted()
        let compactness = grids.map { g -> Double in
            let a = Geodesy.area(of: .polygon(g.polygon)), p = Geodesy.length(of: .polygon(g.polygon))
            return 4 * .pi * a / (p * p)
        }
        print(String(format: "%-44@ min %d, median %d, max %d households; mean compactness %.2f (1 = circle, 0.79 = square)",
                     "partition quality" as NSString, counts.first ?? 0, counts[counts.count / 2], counts.last ?? 0,
                     compactness.reduce(0, +) / Double(max(compactness.count, 1))))
        let (published, tPublish) = try time { try planning.publish(plan: plan.id) }
        print(String(format: "%-44@ %.3f s (version %d, validation included; %d households and cameras moved)",
                     "publish with all reassignments" as NSString, tPublish, published.version, published.moves))
    }
}

struct BenchCases: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cases",
        abstract: "Time durable intake (each case committed before the next) and the year's statistics.")
    @Option(help: "Database file (a demo county).") var db: String
    @Option var count = 20_000
    @Option(help: "Cases for the one-caller run (default: --count).") var solo: Int?
    @Option(help: "Concurrent callers for the group-commit run.") var callers = 64

    func run() throws {
        let d = try Dispatcher(store: try connect(db))
        let households = try d.grids.households()
        // The demo year first, before the bench adds its own cases.
        let end = Date(), start = end - 366 * 86400
        for grouping in [CaseGrouping.county, .town, .grid, .category] {
            let s = DispatchTime.now().uptimeNanoseconds
            let rows = try d.cases.figures(from: start, to: end, by: grouping)
            print(String(format: "%-44@ %.1f ms (%d groups, %d cases)", "statistics for the year by \(grouping.rawValue)" as NSString,
                         Double(DispatchTime.now().uptimeNanoseconds - s) / 1e6, rows.count, rows.reduce(0) { $0 + $1.received }))
        }
        var rng = SeededRandom(seed: 11)
        var latencies: [Double] = []
        let solo = max(self.solo ?? count, 1)
        latencies.reserveCapacity(solo)
        let categories = Case.Category.allCases
        let t0 = DispatchTime.now().uptimeNanoseconds
        for k in 0..<solo {
            let h = households[Int(rng.next() % UInt64(households.count))]
            let p = Position(h.position.lon + (rng.unit() - 0.5) * 0.001, h.position.lat + (rng.unit() - 0.5) * 0.001)
            let s = DispatchTime.now().uptimeNanoseconds
            _ = try d.intake(IntakeRequest(category: categories[k % categories.count], channel: .window, description: "bench \(k)",
                                           location: .point(p, .crs84), parties: [Party(name: "甲"), Party(name: "乙")]),
                             actor: Actor("bench", source: "bench"))
            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - s) / 1e6)
        }
        let total = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        latencies.sort()
        print(String(format: "%-44@ %.0f cases/s (%d cases, p50 %.2f ms, p99 %.2f ms; one commit each)",
                     "durable intake, one caller" as NSString, Double(solo) / total, solo,
                     latencies[solo / 2], latencies[solo * 99 / 100]))
        // Many callers at once, as the server sees them: group commit.
        let desk = CaseDesk(dispatcher: try Dispatcher(store: try backend(db).connect(.writer)))
        let each = count / callers
        let points = (0..<(callers * each)).map { _ -> Position in
            let h = households[Int(rng.next() % UInt64(households.count))]
            return Position(h.position.lon + (rng.unit() - 0.5) * 0.001, h.position.lat + (rng.unit() - 0.5) * 0.001)
        }
        let box = LatencyBox()
        let t1 = DispatchTime.now().uptimeNanoseconds
        let group = DispatchGroup()
        for c in 0..<callers {
            group.enter()
            Task {
                for k in 0..<each {
                    let s = DispatchTime.now().uptimeNanoseconds
                    _ = try await desk.intake(IntakeRequest(category: categories[k % categories.count], channel: .qr, description: "bench",
                                                            location: .point(points[c * each + k], .crs84), parties: [Party(name: "甲")]),
                                              actor: Actor("bench", source: "bench"))
                    box.add(Double(DispatchTime.now().uptimeNanoseconds - s) / 1e6)
                }
                group.leave()
            }
        }
        group.wait()
        let total2 = Double(DispatchTime.now().uptimeNanoseconds - t1) / 1e9
        let l = box.sorted()
        print(String(format: "%-44@ %.0f cases/s (%d cases, p50 %.2f ms, p99 %.2f ms; group commit)",
                     "durable intake, \(callers) concurrent callers" as NSString, Double(l.count) / total2, l.count, l[l.count / 2], l[l.count * 99 / 100]))
    }
}

/// Latencies gathered from concurrent tasks.
final class LatencyBox: @unchecked Sendable {
    private var values: [Double] = []
    private let lock = NSLock()
    func add(_ v: Double) { lock.lock(); values.append(v); lock.unlock() }
    func sorted() -> [Double] { lock.lock(); defer { lock.unlock() }; return values.sorted() }
}

struct BenchField: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "field",
        abstract: "Time ingesting a day of every grid worker's tracks and the county's patrol figures; write a sample of workers' GPX files for the peers.")
    @Option(help: "Database (a demo county).") var db: String
    @Option(help: "Folder for the sample: NAME.gpx, NAME.json (the peer's input), NAME.wangge.json (this project's answer).") var out: String
    @Option var sample = 24

    func run() throws {
        let d = try Dispatcher(store: try connect(db))
        let layer = d.territory.layer
        let now = Date(), day = ChinaTime.dayText(now - 2 * 86400)
        func time<T>(_ body: () throws -> T) rethrows -> (T, Double) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let v = try body()
            return (v, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        let households = try d.grids.households()
        var field = DemoFieldDay(day: day, until: now)
        field.seed = 99
        let tracks = try field.tracks(households: households, posts: try d.grids.posts(), layer: layer,
                                      keys: Set(try d.store.field.keyHouseholds().map(\.householdID)))
        let total = tracks.reduce(0) { $0 + $1.fixes.count }
        let (_, tIngest) = try time { for (w, fixes) in tracks { _ = try TrackImport.record(fixes, worker: w, in: d.store, layer: layer) } }
        print(String(format: "%-44@ %.2f s (%d fixes of %d workers, %.0f fixes/s; filtered, stored, the day's patrol worked out with each upload)",
                     "ingest a day of tracks (10 s fixes)" as NSString, tIngest, total, tracks.count, Double(total) / tIngest))
        var best = Double.infinity, rows = 0
        for _ in 0..<3 {
            let (f, t) = try time { () -> PatrolFigures in
                let (input, week) = try PatrolFigures.read(day: day, from: d.store, grids: layer.grids)
                return PatrolFigures(day: day, week: week, input: input)
            }
            best = min(best, t)
            rows = f.grids.count + f.workers.count
        }
        print(String(format: "%-44@ %.3f s (%d grid and worker rows, flags, best of 3)", "the county's patrol figures for the day" as NSString, best, rows))

        // The sample for gpxpy + shapely: a GPX file, the worker's grids and the households near.
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let patrol = try d.store.field.patrol(day: day)
        let visits = try d.store.field.visits(first: day, last: day)
        let byCode = Dictionary(layer.grids.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        let step = max(1, tracks.count / max(sample, 1))
        for (n, (worker, fixes)) in tracks.enumerated() where n % step == 0 {
            let name = "\(out)/worker-\(worker)"
            var gpx = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx version=\"1.1\" creator=\"wangge bench\" xmlns=\"http://www.topografix.com/GPX/1/1\"><trk><trkseg>\n"
            for f in fixes { gpx += "<trkpt lat=\"\(f.position.lat)\" lon=\"\(f.position.lon)\"><time>\(ChinaTime.text(f.at))</time></trkpt>\n" }
            try (gpx + "</trkseg></trk></gpx>\n").write(toFile: name + ".gpx", atomically: true, encoding: .utf8)
            let lons = fixes.map(\.position.lon), lats = fixes.map(\.position.lat)
            let near = households.filter { $0.position.lon > lons.min()! - 0.002 && $0.position.lon < lons.max()! + 0.002
                && $0.position.lat > lats.min()! - 0.002 && $0.position.lat < lats.max()! + 0.002 }
            let mine = try d.grids.grids(ofWorker: worker).compactMap { byCode[$0] }
            func ring(_ r: [Position]) -> JSONValue { .array(r.map { .array([.number($0.lon), .number($0.lat)]) }) }
            let spec = JSONValue.object(JSONObject([
                ("gpx", .string(name + ".gpx")),
                ("grids", .array(mine.map { .object(JSONObject([("code", .string($0.code)), ("rings", .array($0.polygon.rings.map(ring)))])) })),
                ("households", .array(near.map { .object(JSONObject([("id", .integer($0.id)), ("lon", .number($0.position.lon)),
                                                                     ("lat", .number($0.position.lat)), ("households", .integer(Int64($0.households)))])) })),
            ]))
            let rows = patrol.filter { $0.worker == worker }
            let answer = JSONValue.object(JSONObject([
                ("passes", .object(JSONObject(rows.filter { !$0.grid.passes.isEmpty }.map { r in
                    (r.grid.gridCode, JSONValue.array(r.grid.passes.map { .array([.number($0.start.timeIntervalSince1970), .number($0.end.timeIntervalSince1970)]) })) }))),
                ("covered", .object(JSONObject(rows.filter { !$0.grid.covered.isEmpty }.map { r in
                    (r.grid.gridCode, JSONValue.array(r.grid.covered.keys.sorted().map { .integer($0) })) }))),
                ("visits", .array(visits.filter { $0.workerID == worker }.map { .array([.integer($0.householdID), .number($0.at.timeIntervalSince1970)]) })),
            ]))
            try json(spec).write(toFile: name + ".json", atomically: true, encoding: .utf8)
            try json(answer).write(toFile: name + ".wangge.json", atomically: true, encoding: .utf8)
        }
    }
}

struct BenchPhotos: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "photos",
        abstract: "Time the photo work of a report (decode, upright, fit in 1600 px, JPEG without metadata) on one core.")
    @Option(help: "A photo (JPEG, PNG or HEIC).") var file: String
    @Option var count = 20

    func run() throws {
        try reporting("bench photos") {
            let bytes = try readFile(file)
            _ = try Photo(bytes)   // libvips started, caches warm
            let t0 = Date()
            var out = 0
            for _ in 0..<count { out = try Photo(bytes).jpeg.count }
            let dt = Date().timeIntervalSince(t0)
            printOut(String(format: "photos: %.1f photos/s (%.1f ms each, %d bytes in, %d out)", Double(count) / dt, dt * 1000 / Double(count), bytes.count, out))
        }
    }
}
