import Foundation
import Geo

// The JSON shapes of cases, figures and the public tracking view: one for the CLI and the API.

/// A case as JSON for those who handle it; `parties` only when asked (personal data).
public func caseJSON(_ c: Case, _ d: UnitNames, parties: [Party]? = nil, events: [CaseEvent]? = nil) -> JSONValue {
    var m: [(key: String, value: JSONValue)] = [
        ("id", .integer(c.id)), ("code", .string(c.code)), ("category", .string(c.category.rawValue)),
        ("channel", .string(c.channel.rawValue)), ("priority", .string(c.priority.rawValue)), ("status", .string(c.status.rawValue)),
        ("grid_id", c.gridCode.json), ("level", .string(c.level.rawValue)),
        ("assignee", .object(JSONObject([("unit", .string(c.unit)), ("unit_name", .string(d.name(c.unit))),
                                         ("worker_id", c.workerID.map { .integer($0) } ?? .null)]))),
        ("location", .array([.number(c.position.lon), .number(c.position.lat)])),
        ("reported_at", .string(ChinaTime.text(c.reportedAt))),
        ("due_at", c.dueAt.map { .string(ChinaTime.text($0)) } ?? .null),
        ("flags", .array(([c.unlocated ? "unlocated" : nil, c.overdue ? "overdue" : nil, c.groupDispute ? "group_dispute" : nil] as [String?]).compactMap { $0 }.map { .string($0) })),
        ("related_to", c.relatedTo.map { .integer($0) } ?? .null),
    ]
    if let a = c.alertType { m += [("alert_type", .string(a)), ("alert_count", .integer(Int64(c.alertCount)))] }
    if let cam = c.cameraID { m.append(("camera_id", .string(cam))) }
    if let r = c.rating { m.append(("rating", .integer(Int64(r)))) }
    m.append(("description", .string(c.description)))
    if let parties {
        m.append(("parties", .array(parties.map { p in
            .object(JSONObject([("name", .string(p.name)), ("phone", p.phone.json), ("id_number", p.idNumber.json)]))
        })))
    }
    if let events {
        m.append(("events", .array(events.map { e in
            .object(JSONObject([("at", .string(ChinaTime.text(e.at))), ("actor", .string(e.actor)), ("source", .string(e.source)),
                                ("action", .string(e.action)), ("from", e.from.map { .string($0.rawValue) } ?? .null),
                                ("to", e.to.map { .string($0.rawValue) } ?? .null), ("unit", e.unit.json), ("note", e.note.json)]))
        })))
    }
    return .object(JSONObject(m))
}

/// The figures as JSON.
public func figuresJSON(_ f: CaseFigures) -> JSONValue {
    func rate(_ x: Double?) -> JSONValue { x.map { .number(($0 * 1000).rounded() / 1000) } ?? .null }
    return .object(JSONObject([
        ("key", .string(f.key)), ("received", .integer(Int64(f.received))), ("resolved", .integer(Int64(f.resolved))),
        ("closed", .integer(Int64(f.closed))), ("open", .integer(Int64(f.open))),
        ("success_rate", rate(f.successRate)), ("closure_rate", rate(f.closureRate)), ("on_time_rate", rate(f.onTimeRate)),
        ("median_hours_to_close", f.medianHoursToClose.map { .number(($0 * 10).rounded() / 10) } ?? .null),
        ("open_load_per_worker", rate(f.openLoadPerWorker)), ("satisfaction", rate(f.satisfaction)),
    ]))
}

/// The public view: no names, phones, IDs, actors or notes.
public func trackJSON(_ c: Case, _ events: [CaseEvent], _ d: UnitNames) -> JSONValue {
    .object(JSONObject([
        ("code", .string(c.code)), ("status", .string(c.status.rawValue)), ("category", .string(c.category.rawValue)),
        ("reported_at", .string(ChinaTime.text(c.reportedAt))), ("handling_unit", .string(d.name(c.unit))),
        ("timeline", .array(events.map { e in
            .object(JSONObject([("at", .string(ChinaTime.text(e.at))), ("action", .string(e.action)),
                                ("status", e.to.map { .string($0.rawValue) } ?? .null), ("unit", .string(e.unit.map(d.name) ?? ""))]))
        })),
    ]))
}
