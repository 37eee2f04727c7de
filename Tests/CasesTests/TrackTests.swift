import Foundation
import Geo
import Testing
@testable import Cases
@testable import Grid

/// Workers' GPX tracks: read (GPX 1.0/1.1, every refusal naming its element), filtered (150 km/h,
/// repeated times) as gpxpy and the documented rule say, stored once, pruned after 90 days.
@Suite struct TrackTests {
    static let python = repoRoot.appendingPathComponent(".build/venv-test/bin/python").path
    static let oracle = repoRoot.appendingPathComponent("Tests/Fixtures/track_oracle.py").path

    /// A walk at about 1.3 m/s, a fix every 10 s, with jumps of 5 km (a bad fix) and repeated times.
    static func walk(from start: Date, count: Int, at p: Position, jumps: Set<Int> = [], repeats: Set<Int> = []) -> [(Date, Position)] {
        var out: [(Date, Position)] = []
        var rng = SeededRandom(seed: 9)
        var here = p, t = start
        for k in 0..<count {
            if repeats.contains(k), let last = out.last { out.append((last.0, last.1)); continue }
            t += 10
            here = Position(here.lon + (rng.unit() - 0.3) * 0.00012, here.lat + (rng.unit() - 0.3) * 0.00012)
            out.append((t, jumps.contains(k) ? Position(here.lon + 0.05, here.lat) : here))
        }
        return out
    }

    static func gpx(_ fixes: [(Date, Position)], version: String = "1.1") -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var s = """
            <?xml version="1.0" encoding="UTF-8"?>
            <gpx version="\(version)" creator="wangge tests" xmlns="http://www.topografix.com/GPX/1/1">
            <trk><name>巡查</name><trkseg>

            """
        for (t, p) in fixes { s += "<trkpt lat=\"\(p.lat)\" lon=\"\(p.lon)\"><ele>300</ele><time>\(f.string(from: t))</time></trkpt>\n" }
        return s + "</trkseg></trk></gpx>\n"
    }

    func home() throws -> (Int64, Position) {
        let post = tinyDemo.result.posts.first { $0.role == .fullTime }!
        let grid = tinyDemo.result.grids.first { $0.code == post.gridCode }!
        guard case .point(let p) = try GEOSContext().shape(.polygon(grid.polygon)).pointOnSurface().geometry else { throw CaseError(.invalid, "no point") }
        return (post.workerID, p)
    }

    @Test(arguments: StoreKind.allCases) func tracksAreFilteredAsGpxpyAndTheRuleSayAndStoredOnce(_ kind: StoreKind) throws {
        let (_, _, d) = try countyDesk(kind)
        let (worker, p) = try home()
        let dir = TempDir()
        let start = monday(8)
        let file = dir.write("walk.gpx", Self.gpx(Self.walk(from: start, count: 600, at: p, jumps: [50, 51, 300], repeats: [10, 200, 201])))
        let fixes = try GPXReader().read(try Data(contentsOf: URL(fileURLWithPath: file)))
        #expect(fixes.count == 600)
        let r = try TrackImport.record(fixes, worker: worker, in: d.store, layer: d.territory.layer)
        let o = try sh(Self.python, [Self.oracle, file, "-"])
        let oracle = try #require(try JSONParser.parse(o.out).objectValue, "\(o.err)")
        let keptTimes = oracle["kept"]?.arrayValue?.compactMap(\.doubleValue) ?? []
        #expect(oracle["points"]?.integerValue == 600)
        #expect(r.kept == keptTimes.count && r.tooFast == Int(oracle["too_fast"]?.integerValue ?? -1) && r.repeatedTime == Int(oracle["repeated"]?.integerValue ?? -1))
        #expect(r.tooFast == 3 && r.repeatedTime == 3)
        let stored = try d.store.field.fixes(worker: worker, from: start, to: start + 86400)
        #expect(stored.count == keptTimes.count)
        #expect(zip(stored.map(\.at.timeIntervalSince1970), keptTimes).allSatisfy { abs($0 - $1) < 1e-3 })
        #expect(r.first == stored.first?.at && r.last == stored.last?.at)
        // The day's patrol is worked out with the upload: a row for each of the worker's grids.
        let grids = Set(try d.store.grids.grids(ofWorker: worker))
        #expect(Set(try d.store.field.patrol(day: ChinaTime.dayText(start)).filter { $0.worker == worker }.map(\.grid.gridCode)) == grids)
        // The same file again: nothing new, every kept fix a repeated time.
        let again = try TrackImport.record(fixes, worker: worker, in: d.store, layer: d.territory.layer)
        #expect(again.kept == 0 && again.repeatedTime == r.kept + r.repeatedTime)
        // A later upload is filtered after the last stored fix: a first point 5 km away in 10 s goes.
        let last = try #require(stored.last)
        let next = [TrackFix(at: last.at + 10, position: Position(last.position.lon + 0.05, last.position.lat)),
                    TrackFix(at: last.at + 20, position: last.position)]
        let more = try TrackImport.record(next, worker: worker, in: d.store, layer: d.territory.layer)
        #expect(more.kept == 1 && more.tooFast == 1)
        // Old fixes are pruned; recent ones stay.
        let old = [TrackFix(at: Date() - 100 * 86400, position: p), TrackFix(at: Date() - 99 * 86400, position: p)]
        _ = try TrackImport.record(old, worker: worker, in: d.store, layer: d.territory.layer)
        #expect(try d.store.field.prune(before: Date() - 90 * 86400) == 2)
        #expect(try d.store.field.fixes(worker: worker, from: start, to: start + 86400).count == keptTimes.count + 1)
        #expect(throws: CaseError.self) { try TrackImport.record(next, worker: 99_999_999, in: d.store, layer: d.territory.layer) }
    }

    @Test func badGPXIsRefusedNamingTheElement() throws {
        let p = Position(106.97, 30.84)
        let good = Self.walk(from: monday(8), count: 5, at: p)
        func refusal(_ text: String, crs: CRS = .crs84) -> GPXError? {
            do { _ = try GPXReader(crs: crs).read(Data(text.utf8)); return nil } catch { return error }
        }
        #expect(refusal("this is not xml")?.malformed == true)
        #expect(refusal("<gpx version=\"1.1\"><trk>")?.malformed == true)
        #expect(refusal(Self.gpx(good, version: "2.0"))?.reason.contains("GPX 1.0 or 1.1") == true)
        #expect(refusal("<kml></kml>")?.reason.contains("not GPX") == true)
        #expect(refusal(Self.gpx([]))?.reason.contains("no track points") == true)
        var bad = good
        bad[2].1 = Position(106.97, 95)
        let range = refusal(Self.gpx(bad))
        #expect(range?.malformed == false && range?.reason.contains("trkpt 3 (line 6)") == true && range?.reason.contains("out of range") == true, "\(String(describing: range))")
        var backwards = good
        backwards[3].0 = good[1].0
        #expect(refusal(Self.gpx(backwards))?.reason.contains("trkpt 4 (line 7)") == true)
        var ancient = good
        ancient[0].0 = Date(timeIntervalSince1970: 600_000_000)
        #expect(refusal(Self.gpx(ancient))?.reason.contains("between 2000 and tomorrow") == true)
        #expect(refusal(Self.gpx(good).replacingOccurrences(of: "<time>", with: "<when>").replacingOccurrences(of: "</time>", with: "</when>"))?.reason.contains("has no time") == true)
        #expect(refusal(Self.gpx(good).replacingOccurrences(of: "lat=\"30", with: "lat=\"x30"))?.reason.contains("must be numbers") == true)
        #expect(refusal(Self.gpx([(monday(8), Position(2.35, 48.85))]), crs: .gcj02)?.reason.contains("outside China") == true)
        // GCJ-02 fixes are stored in WGS84.
        let shifted = try ChinaOffset.wgs84ToGCJ02(p)
        let read = try GPXReader(crs: .gcj02).read(Data(Self.gpx([(monday(8), shifted)]).utf8))
        #expect(Geodesy.distance(read[0].position, p) < 0.05)
        // GPX 1.0 is read too.
        #expect(try GPXReader().read(Data(Self.gpx(good, version: "1.0").utf8)).count == 5)
    }
}
