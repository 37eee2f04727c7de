import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Geo
import Grid

/// One position of a worker's phone at a time (WGS84).
public struct TrackFix: Hashable, Sendable {
    public var at: Date
    public var position: Position
    public init(at: Date, position: Position) {
        self.at = at
        self.position = position
    }
}

/// A GPX document refused: where (the element and its line) and why. `malformed` is not XML or
/// not GPX at all (a 400); otherwise the GPX says something impossible (a 422).
public struct GPXError: Error, CustomStringConvertible, Sendable {
    public var malformed: Bool
    public var reason: String
    public var description: String { reason }
}

/// Reads the track points of a GPX 1.0 or 1.1 document (`trk/trkseg/trkpt` with `lat`, `lon` and
/// `time`), in the document's order. Every point needs a time from 2000 to a day after `now`
/// (a phone whose clock is wrong); times must not go backwards.
public struct GPXReader {
    public let crs: CRS
    public let now: Date
    public init(crs: CRS = .crs84, now: Date = Date()) {
        self.crs = crs
        self.now = now
    }

    public func read(_ data: Data) throws(GPXError) -> [TrackFix] {
        let parser = XMLParser(data: data)
        let delegate = Collector()
        parser.delegate = delegate
        parser.shouldProcessNamespaces = true
        let ok = parser.parse()
        if let e = delegate.error { throw e }
        guard ok else {
            let reason = parser.parserError.map { "\($0.localizedDescription)" } ?? "unknown error"
            throw GPXError(malformed: true, reason: "not well-formed XML at line \(parser.lineNumber): \(reason)")
        }
        // Foundation's parser on Linux can end a truncated document without an error.
        guard delegate.depth == 0 else {
            throw GPXError(malformed: true, reason: "not well-formed XML: the document ends inside an element (line \(parser.lineNumber))")
        }
        guard delegate.version != nil else { throw GPXError(malformed: true, reason: "the document is not GPX: its root element is not gpx") }
        guard !delegate.points.isEmpty else { throw GPXError(malformed: false, reason: "the GPX has no track points (trk/trkseg/trkpt)") }
        var out: [TrackFix] = []
        out.reserveCapacity(delegate.points.count)
        let time = ChinaTime.rfc3339Reader()   // once per document: a day's track is ~10,000 points
        for (k, p) in delegate.points.enumerated() {
            let place = "trkpt \(k + 1) (line \(p.line))"
            guard let lat = p.lat, let lon = p.lon else { throw GPXError(malformed: false, reason: "\(place) needs lat and lon attributes") }
            guard lat.isFinite, lon.isFinite, (-90...90).contains(lat), (-180...180).contains(lon) else {
                throw GPXError(malformed: false, reason: "\(place): lat \(lat), lon \(lon) is out of range")
            }
            guard let text = p.time else { throw GPXError(malformed: false, reason: "\(place) has no time") }
            guard let at = time(text) else { throw GPXError(malformed: false, reason: "\(place): time \(text) is not an ISO 8601 time") }
            guard at >= Limits.earliest, at <= now + 86400 else {
                throw GPXError(malformed: false, reason: "\(place): time \(text) is not between 2000 and tomorrow (is the phone's clock right?)")
            }
            if let last = out.last, at < last.at {
                throw GPXError(malformed: false, reason: "\(place): time \(text) is before the point before it (times out of order)")
            }
            var position = Position(lon, lat)
            if crs == .gcj02 {
                guard let w = try? ChinaOffset.gcj02ToWGS84(position) else {
                    throw GPXError(malformed: false, reason: "\(place): \(lon), \(lat) is outside China, where GCJ-02 is not defined")
                }
                position = w
            }
            out.append(TrackFix(at: at, position: position))
        }
        return out
    }

    /// The XML events, collected: the root's version, and each track point's attributes and time.
    private final class Collector: NSObject, XMLParserDelegate {
        struct Point { var lat: Double?; var lon: Double?; var time: String?; var line: Int }
        var version: String?
        var points: [Point] = []
        var error: GPXError?
        private(set) var depth = 0
        private var inPoint = false
        private var inTime = false
        private var text = ""

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            depth += 1
            if depth == 1 {
                guard name == "gpx" else { return }
                let v = attributes["version"] ?? ""
                guard v == "1.1" || v == "1.0" else {
                    error = GPXError(malformed: true, reason: "gpx version \(v.isEmpty ? "(none)" : v) at line \(parser.lineNumber): GPX 1.0 or 1.1 is read")
                    parser.abortParsing()
                    return
                }
                version = v
            }
            guard version != nil else { return }
            if name == "trkpt" {
                inPoint = true
                points.append(Point(lat: attributes["lat"].flatMap(Double.init), lon: attributes["lon"].flatMap(Double.init), time: nil, line: parser.lineNumber))
                if attributes["lat"] != nil && points[points.count - 1].lat == nil || attributes["lon"] != nil && points[points.count - 1].lon == nil {
                    error = GPXError(malformed: false, reason: "trkpt \(points.count) (line \(parser.lineNumber)): lat and lon must be numbers")
                    parser.abortParsing()
                }
            } else if inPoint && name == "time" {
                inTime = true
                text = ""
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { if inTime { text += string } }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            depth -= 1
            if name == "time", inTime {
                inTime = false
                points[points.count - 1].time = text.trimmingCharacters(in: .whitespacesAndNewlines)
            } else if name == "trkpt" {
                inPoint = false
            }
        }
    }
}

/// What a track upload kept: fixes that imply more than 150 km/h from the last kept one (a jump
/// of the phone's position) or repeat a time are dropped and counted.
public struct TrackImport: Sendable, Hashable {
    public static let maxSpeed = 150.0 / 3.6   // m/s
    public var kept: Int
    public var tooFast: Int
    public var repeatedTime: Int
    public var first: Date?
    public var last: Date?

    /// Filters `fixes` (in time order) after `previous`, the worker's last stored fix before them.
    public static func filter(_ fixes: [TrackFix], after previous: TrackFix?) -> (kept: [TrackFix], tooFast: Int, repeated: Int) {
        var kept: [TrackFix] = []
        kept.reserveCapacity(fixes.count)
        var last = previous, fast = 0, repeated = 0
        for f in fixes {
            if let l = last {
                let dt = f.at.timeIntervalSince(l.at)
                if dt <= 0 { repeated += 1; continue }
                if Geodesy.distance(l.position, f.position) / dt > maxSpeed { fast += 1; continue }
            }
            kept.append(f)
            last = f
        }
        return (kept, fast, repeated)
    }
}

extension TrackImport {
    /// Keeps a worker's uploaded fixes: filtered after the last stored one, stored once each; then
    /// what each China day the upload touched shows (passes, coverage, visits) is worked out again
    /// from that day's whole track, in the same transaction.
    public static func record(_ fixes: [TrackFix], worker: Int64, in store: any StoreConnection, layer: GridLayer) throws -> TrackImport {
        guard try store.grids.worker(id: worker) != nil else { throw CaseError(.notFound, "unknown worker \(worker)") }
        guard let first = fixes.first else { return TrackImport(kept: 0, tooFast: 0, repeatedTime: 0) }
        return try store.write {
            let (kept, fast, repeated) = filter(fixes, after: try store.field.lastFix(worker: worker, before: first.at))
            let added = try store.field.insert(worker: worker, fixes: kept)
            if added > 0 {
                for day in Set(kept.map { ChinaTime.dayText($0.at) }).sorted() { try WorkerPatrol.update(worker: worker, day: day, in: store, layer: layer) }
            }
            // A time stored by an earlier upload is a repeated time too.
            return TrackImport(kept: added, tooFast: fast, repeatedTime: repeated + kept.count - added,
                               first: kept.first?.at, last: kept.last?.at)
        }
    }
}

extension WorkerPatrol {
    /// Works out a worker's day again from its stored track and keeps it.
    public static func update(worker: Int64, day: String, in store: any StoreConnection, layer: GridLayer) throws {
        guard let start = ChinaTime.day(day) else { return }
        let fixes = try store.field.fixes(worker: worker, from: start, to: start + 86400)
        let codes = Set(try store.grids.grids(ofWorker: worker))
        let grids = layer.grids.filter { codes.contains($0.code) }
        var households: [Household] = []
        if let box = Geometry.multiPoint(fixes.map(\.position)).boundingBox {
            // 50 m and a margin, in degrees.
            let m = 0.001
            var q = PointQuery(limit: 1_000_000, count: false)
            q.bbox = BoundingBox(minLon: box.minLon - m, minLat: box.minLat - m, maxLon: box.maxLon + m, maxLat: box.maxLat + m)
            households = try store.grids.households(q).rows.map(\.household)
        }
        try store.field.replacePatrol(WorkerPatrol(worker: worker, day: day, fixes: fixes, grids: grids, layer: layer, households: households))
    }
}
