import Crypto
import Foundation
import Geo
import Grid

/// A case from another system's past (the province's platform, a county's spreadsheet), as
/// `wangge cases import` reads it: where and when it was reported, what it was, how it ended.
public struct HistoricCase: Sendable, Hashable {
    /// Its place in the file's `features`, for messages.
    public var feature: Int
    /// The other system's id: a second import of the same record adds nothing.
    public var externalID: String?
    public var category: Case.Category
    public var channel: Case.Channel
    public var priority: Case.Priority
    /// WGS84.
    public var position: Position
    public var reportedAt: Date
    /// Nil: open, where placement puts it (assigned in a grid, else in the county's queue).
    public var status: Case.Status?
    public var closedAt: Date?
    /// The level that handled it, when the record says (else the level placement gives).
    public var level: Case.Level?
    public var rating: Int?
    public var description: String

    /// What a second import recognises it by: the external id, else a digest of what it says
    /// (place, time, kind, channel, text), so that a file without ids can be imported again too.
    public var key: String {
        if let externalID { return externalID }
        let text = "\(position.lon) \(position.lat) \(reportedAt.timeIntervalSince1970) \(category.rawValue) \(channel.rawValue) \(description)"
        return "sha256:" + SHA256.hash(data: Data(text.utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
    }
}

/// Reads history from GeoJSON Point features (RFC 7946; WGS84, or GCJ-02 when told): `category`,
/// `channel`, `reported_at` (RFC 3339), and optionally `status`, `closed_at`, `level`, `priority`,
/// `rating`, `description`, `external_id`. All or nothing: every problem is reported, naming the
/// feature, and nothing is returned if there is one.
public struct CaseHistoryReader {
    public let crs: CRS
    /// Times after this are refused (a clock or a file from the future).
    public let now: Date
    public init(crs: CRS = .crs84, now: Date = Date()) {
        self.crs = crs
        self.now = now
    }

    public static let defaultDescription = "历史导入 (imported)"
    static let maxExternalID = 64

    public func read(_ bytes: [UInt8]) throws(ImportError) -> [HistoricCase] {
        let source = try FeatureSource(bytes: bytes, crs: crs)
        var out: [HistoricCase] = [], problems: [ImportProblem] = []
        var seen: [String: Int] = [:]
        let rfc3339 = ChinaTime.rfc3339Reader()
        func names<T: RawRepresentable & CaseIterable>(_: T.Type) -> String where T.RawValue == String {
            T.allCases.map(\.rawValue).joined(separator: ", ")
        }
        for (k, f) in source.features.enumerated() {
            let properties = f.properties ?? JSONObject([])
            let external = FeatureSource.text(properties["external_id"])
            var featureProblems: [String] = []
            func problem(_ reason: String) { featureProblems.append(reason) }
            func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type, required: Bool) -> T? where T.RawValue == String {
                guard let v = properties[key], v != .null else {
                    if required { problem("\(key) is required, one of \(names(type))") }
                    return nil
                }
                guard let text = v.stringValue, let value = T(rawValue: text) else {
                    problem("\(key) \(v.stringValue.map { "'\($0)'" } ?? "must be a string,") is not one of \(names(type))")
                    return nil
                }
                return value
            }
            func time(_ key: String, required: Bool) -> Date? {
                guard let v = properties[key], v != .null else {
                    if required { problem("\(key) is required (RFC 3339, e.g. 2026-03-01T09:30:00+08:00)") }
                    return nil
                }
                guard let text = v.stringValue, let d = rfc3339(text) else {
                    problem("\(key) \(v.stringValue.map { "'\($0)'" } ?? "") is not an RFC 3339 time such as 2026-03-01T09:30:00+08:00")
                    return nil
                }
                guard d >= Limits.earliest, d <= now + 3600 else {
                    problem("\(key) \(text) is not between 2000 and now")
                    return nil
                }
                return d
            }
            if let external {
                if external.count > Self.maxExternalID { problem("external_id is longer than \(Self.maxExternalID) characters") }
                if let first = seen[external] { problem("external_id \(external) is also features[\(first)]") } else { seen[external] = k }
            } else if let v = properties["external_id"], v != .null {
                problem("external_id must be a string or an integer")
            }
            var position: Position?
            if case .point(let p)? = f.geometry {
                if p.lon.isFinite, p.lat.isFinite, ChinaOffset.isInsideChina(p) { position = p } else { problem("the point \(p.lon), \(p.lat) is outside China") }
            } else {
                problem("geometry is \(f.geometry?.typeName ?? "null"), a Point is required")
            }
            let category = choice("category", Case.Category.self, required: true)
            let channel = choice("channel", Case.Channel.self, required: true)
            let priority = choice("priority", Case.Priority.self, required: false) ?? .normal
            let level = choice("level", Case.Level.self, required: false)
            let given = choice("status", Case.Status.self, required: false)
            let reported = time("reported_at", required: true)
            let closed = time("closed_at", required: false)
            let status = given ?? (closed != nil ? .closed : nil)
            let ended = status == .closed || status == .rated
            let named = status?.rawValue ?? "open"
            if ended, closed == nil, properties["closed_at"] == nil || properties["closed_at"] == .null {
                problem("closed_at is required for a case that is \(named)")
            }
            if !ended, closed != nil { problem("closed_at is given but status is \(named), not closed or rated") }
            if let r = reported, let c = closed, c < r { problem("closed_at is before reported_at") }
            var rating: Int?
            if let v = properties["rating"], v != .null {
                if case .integer(let i) = v, (1...5).contains(i) { rating = Int(i) } else { problem("rating must be an integer from 1 to 5") }
                if status != .rated { problem("a rating is given but status is \(named), not rated") }
            } else if status == .rated {
                problem("rating is required for a case that is rated")
            }
            var description = Self.defaultDescription
            if let v = properties["description"], v != .null {
                if let s = v.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines) {
                    if s.count > Limits.description { problem("description is longer than \(Limits.description) characters") }
                    if !s.isEmpty { description = s }
                } else {
                    problem("description must be a string")
                }
            }
            guard featureProblems.isEmpty, let position, let category, let channel, let reported else {
                let label = external.map { "external_id \($0)" }
                problems += featureProblems.map { ImportProblem(feature: k, label: label, reason: $0) }
                continue
            }
            let record = HistoricCase(feature: k, externalID: external, category: category, channel: channel, priority: priority,
                                      position: position, reportedAt: reported, status: status, closedAt: closed, level: level,
                                      rating: rating, description: description)
            if external == nil {
                if let first = seen[record.key] {
                    problems.append(ImportProblem(feature: k, reason: "the same case (place, time, category, channel, description) as features[\(first)]"))
                    continue
                }
                seen[record.key] = k
            }
            out.append(record)
        }
        guard problems.isEmpty else { throw ImportError(problems) }
        return out
    }
}

/// What an import did.
public struct HistoryImport: Sendable, Hashable {
    public var imported: Int
    /// Records whose external id was imported before.
    public var skipped: Int
    public var unlocated: Int
}
