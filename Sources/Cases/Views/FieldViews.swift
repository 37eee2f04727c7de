import Foundation
import Geo
import Grid

/// What a track upload did (`POST /api/workers/{id}/tracks`, `wangge tracks import`).
public struct TrackImportView: DocumentedShape, Sendable {
    public struct Dropped: Encodable, Sendable {
        var too_fast: Int
        var repeated_time: Int
    }
    var worker_id: Int64
    var kept: Int
    var dropped: Dropped
    var first: String?
    var last: String?

    public init(_ r: TrackImport, worker: Int64) {
        worker_id = worker
        kept = r.kept
        dropped = Dropped(too_fast: r.tooFast, repeated_time: r.repeatedTime)
        first = r.first.map(ChinaTime.text)
        last = r.last.map(ChinaTime.text)
    }

    public static var examples: [TrackImportView] {
        [TrackImportView(TrackImport(kept: 2, tooFast: 1, repeatedTime: 1, first: Date(timeIntervalSince1970: 0), last: Date(timeIntervalSince1970: 60)), worker: 7),
         TrackImportView(TrackImport(kept: 0, tooFast: 0, repeatedTime: 0), worker: 7)]
    }
}

/// A worker's track of one China-time day as GeoJSON: a LineString of the kept fixes (a Point when
/// there is one), with their times.
public struct WorkerDayTrack: Sendable {
    public var worker: Int64
    public var day: String
    public var fixes: [TrackFix]
    public init(worker: Int64, day: String, fixes: [TrackFix]) {
        self.worker = worker
        self.day = day
        self.fixes = fixes
    }

    public func geoJSON() -> String {
        var features: [Feature] = []
        if let first = fixes.first, let last = fixes.last {
            let geometry: Geometry = fixes.count == 1 ? .point(first.position) : .lineString(fixes.map(\.position))
            features.append(Feature(id: .string("\(worker)-\(day)"), geometry: geometry, properties: JSONObject([
                ("worker_id", .integer(worker)), ("day", .string(day)), ("fixes", .integer(Int64(fixes.count))),
                ("first", .string(ChinaTime.text(first.at))), ("last", .string(ChinaTime.text(last.at))),
                ("times", .array(fixes.map { .string(ChinaTime.text($0.at)) })),
            ])))
        }
        return GeoJSONWriter(precision: 7).string(.featureCollection(FeatureCollection(features)))
    }
}
