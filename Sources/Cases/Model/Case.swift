import Foundation
import Geo

/// A dispute (矛盾纠纷) or camera alert being handled: where it happened, who has it, where it stands.
/// Personal data of the parties is kept apart (`Party`), never in this value's public fields.
public struct Case: Hashable, Sendable {
    public enum Category: String, Sendable, CaseIterable {
        case labour, land, neighbour, family, property, consumer, traffic, debt, other

        /// As residents and the centres' forms say it.
        public var name: String {
            switch self {
            case .labour: "劳动争议"
            case .land: "土地纠纷"
            case .neighbour: "邻里纠纷"
            case .family: "婚姻家庭"
            case .property: "物业纠纷"
            case .consumer: "消费纠纷"
            case .traffic: "交通事故"
            case .debt: "债务纠纷"
            case .other: "其他纠纷"
            }
        }
    }
    public enum Channel: String, Sendable, CaseIterable {
        case window, qr, patrol, hotline, camera, referral
        /// 信访: letters and visits, counted by the 万人信访率.
        case petition
    }
    public enum Priority: String, Sendable, CaseIterable { case normal, urgent }

    /// The lifecycle, with these exact names in the API and CLI.
    public enum Status: String, Sendable, CaseIterable {
        case reported, assigned, accepted, mediating, resolved, escalated, closed, rated

        /// Where a case may go from here. Reassignment is `assigned → assigned`; escalation may come
        /// back down as `escalated → assigned`; a resolved case may be reopened into mediation.
        public var next: [Status] {
            switch self {
            case .reported: [.assigned, .escalated]
            case .assigned: [.assigned, .accepted, .escalated]
            case .accepted: [.mediating, .resolved, .escalated]
            case .mediating: [.resolved, .escalated]
            case .escalated: [.assigned, .accepted, .mediating, .closed]
            case .resolved: [.closed, .mediating]
            case .closed: [.rated]
            case .rated: []
            }
        }

        /// Still being handled: not resolved, closed or rated (the SQL says `status NOT IN
        /// ('resolved','closed','rated')`).
        public var isOpen: Bool { ![.resolved, .closed, .rated].contains(self) }

        /// As the tracking page and Open311's status notes say it.
        public var name: String {
            switch self {
            case .reported: "已受理"
            case .assigned: "已分派"
            case .accepted: "已接单"
            case .mediating: "调解中"
            case .resolved: "已化解"
            case .escalated: "已上报"
            case .closed: "已办结"
            case .rated: "已评价"
            }
        }
    }

    /// Who handles it: a grid (its worker), a village, a town or the county centre, or — "mediation
    /// first, litigation last" — arbitration or the court.
    public enum Level: String, Sendable, CaseIterable {
        case grid, village, town, county, arbitration, court

        /// The next level up for escalation (nil at the top).
        public var up: Level? {
            switch self {
            case .grid: .village
            case .village: .town
            case .town: .county
            case .county, .arbitration, .court: nil
            }
        }
    }

    public var id: Int64
    /// The public tracking code (解纷码): short, unguessable, with no personal data in it.
    public var code: String
    public var category: Category
    public var channel: Channel
    public var priority: Priority
    public var description: String
    /// WGS84.
    public var position: Position
    public var householdID: Int64?
    public var cameraID: String?
    public var alertType: String?
    public var alertCount: Int
    public var snapshotURL: String?
    public var gridCode: String?
    /// A camera alert's case: the grid of the camera's pole (`gridCode` is the grid it looks at).
    public var poleGridCode: String?
    /// The micro-grid (微网格) of the grid where it happened, whose leader is the first to it.
    public var microgridCode: String?
    public var level: Level
    /// The unit that has the case: `grid:CODE`, `village:CODE`, `town:CODE`, `county:CODE`,
    /// `arbitration`, `court`.
    public var unit: String
    /// The worker who has it, when a person does.
    public var workerID: Int64?
    public var status: Status
    /// In no grid: waiting in the county centre's queue.
    public var unlocated: Bool
    public var overdue: Bool
    /// 群体性纠纷: many parties, handled a level up.
    public var groupDispute: Bool
    public var relatedTo: Int64?
    public var reportedAt: Date
    public var acceptBy: Date?
    public var arriveBy: Date?
    public var dueAt: Date?
    public var acceptedAt: Date?
    public var resolvedAt: Date?
    public var closedAt: Date?
    public var rating: Int?
    public init(id: Int64, code: String, category: Category, channel: Channel, priority: Priority, description: String, position: Position, householdID: Int64? = nil, cameraID: String? = nil, alertType: String? = nil, alertCount: Int, snapshotURL: String? = nil, gridCode: String? = nil, level: Level, unit: String, workerID: Int64? = nil, status: Status, unlocated: Bool, overdue: Bool, groupDispute: Bool, relatedTo: Int64? = nil, reportedAt: Date, acceptBy: Date? = nil, arriveBy: Date? = nil, dueAt: Date? = nil, acceptedAt: Date? = nil, resolvedAt: Date? = nil, closedAt: Date? = nil, rating: Int? = nil, poleGridCode: String? = nil, microgridCode: String? = nil) {
        self.poleGridCode = poleGridCode
        self.microgridCode = microgridCode
        self.id = id
        self.code = code
        self.category = category
        self.channel = channel
        self.priority = priority
        self.description = description
        self.position = position
        self.householdID = householdID
        self.cameraID = cameraID
        self.alertType = alertType
        self.alertCount = alertCount
        self.snapshotURL = snapshotURL
        self.gridCode = gridCode
        self.level = level
        self.unit = unit
        self.workerID = workerID
        self.status = status
        self.unlocated = unlocated
        self.overdue = overdue
        self.groupDispute = groupDispute
        self.relatedTo = relatedTo
        self.reportedAt = reportedAt
        self.acceptBy = acceptBy
        self.arriveBy = arriveBy
        self.dueAt = dueAt
        self.acceptedAt = acceptedAt
        self.resolvedAt = resolvedAt
        self.closedAt = closedAt
        self.rating = rating
    }
}

/// A party to a dispute: personal data, shown only to those who handle the case.
public struct Party: Hashable, Sendable {
    public var name: String
    public var phone: String?
    public var idNumber: String?
    public init(name: String, phone: String? = nil, idNumber: String? = nil) {
        self.name = name
        self.phone = phone
        self.idNumber = idNumber
    }
}

/// One append-only entry of a case's history: who, when, what, from where.
public struct CaseEvent: Hashable, Sendable {
    public var at: Date
    public var actor: String
    /// Where the change came from (`cli`, `api`, a channel, `system`).
    public var source: String
    public var action: String
    public var from: Case.Status?
    public var to: Case.Status?
    public var unit: String?
    public var note: String?
    public init(at: Date, actor: String, source: String, action: String, from: Case.Status? = nil, to: Case.Status? = nil, unit: String? = nil, note: String? = nil) {
        self.at = at
        self.actor = actor
        self.source = source
        self.action = action
        self.from = from
        self.to = to
        self.unit = unit
        self.note = note
    }
}

/// Why a case operation was refused; `kind` maps to the HTTP status the server answers with.
public struct CaseError: Error, CustomStringConvertible, Sendable {
    /// `forbidden`: outside the caller's area (a town desk acting on another town's case).
    public enum Kind: Sendable { case invalid, notFound, conflict, forbidden }
    public let kind: Kind
    public let reason: String
    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }
    public var description: String { reason }
}

/// Public tracking codes: 12 characters of Crockford base32 from the system's cryptographic random
/// source (60 bits: unguessable), grouped for reading aloud, e.g. `K7Q2-M9XD-3HVA`.
public enum TrackingCode {
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    public static func make() -> String {
        var rng = SystemRandomNumberGenerator()
        var bits = rng.next() as UInt64
        var chars: [Character] = []
        for k in 0..<12 {
            if k > 0 && k % 4 == 0 { chars.append("-") }
            chars.append(alphabet[Int(bits & 31)])
            bits >>= 5
        }
        return String(chars)
    }

    /// Normalises what a person typed: case, spaces, and the letters Crockford reads as digits.
    public static func normalise(_ text: String) -> String {
        let raw = text.uppercased().filter { !$0.isWhitespace && $0 != "-" }
            .map { c -> Character in c == "O" ? "0" : (c == "I" || c == "L") ? "1" : c }
        guard raw.count == 12 else { return String(raw) }
        let s = Array(raw)
        return String(s[0..<4]) + "-" + String(s[4..<8]) + "-" + String(s[8..<12])
    }
}
