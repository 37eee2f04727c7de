import Cases
import Foundation
import Geo

/// Values that several routes read from queries and bodies, read one way.
enum Parameters {
    /// An RFC 3339 time, with or without fractions of a second, or a calendar date (UTC midnight).
    static func time(_ s: String) -> Date? {
        if let d = try? Date.ISO8601FormatStyle().parse(s) { return d }
        if let d = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(s) { return d }
        // A date alone is the day's start in China Standard Time (as a DATE in a filter is).
        if s.count == 10 { return ChinaTime.day(s) }
        // An offset's + written unencoded in a query string arrives as a space.
        if s.contains(" ") { return time(s.replacingOccurrences(of: " ", with: "+")) }
        return nil
    }

    /// A `from` or `to` parameter: a time, else a 400 saying what is accepted.
    static func time(_ key: String, _ value: String) throws(Problem) -> Date {
        guard let d = time(value) else {
            throw .badRequest("\(key) must be a date (2026-11-01: its start in China time) or an RFC 3339 time, not \(value)", type: "bad-parameter")
        }
        return d
    }

    /// A `date` parameter: a China-time day as 2026-11-23, its start and its text as stored.
    static func day(_ value: String) throws(Problem) -> (start: Date, text: String) {
        guard let d = ChinaTime.day(value) else { throw .badRequest("date must be a day as 2026-11-23, not \(value)", type: "bad-parameter") }
        return (d, ChinaTime.dayText(d))
    }

    /// The CRS of coordinates a client sends: WGS84 lon/lat (EPSG:4326, CRS84) or GCJ-02.
    static func inputCRS(_ text: String?) throws(Problem) -> CRS {
        let text = text ?? "EPSG:4326"
        guard let crs = CRS(text), crs.isWGS84LonLat || crs == .gcj02 else {
            throw Problem(.badRequest, "bad-crs", "crs \(text) is not supported here; use EPSG:4326 (WGS84 lon/lat) or GCJ-02")
        }
        return crs
    }

    /// Comma-separated case states, each one of the lifecycle's names.
    static func statuses(_ s: String) throws(Problem) -> [Case.Status] {
        var out: [Case.Status] = []
        for part in s.split(separator: ",") {
            guard let st = Case.Status(rawValue: String(part)) else {
                throw .badRequest("unknown status \(part); one of \(Case.Status.allCases.map(\.rawValue).joined(separator: ", "))", type: "bad-parameter")
            }
            out.append(st)
        }
        return out
    }
}
