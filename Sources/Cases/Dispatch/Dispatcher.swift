import Foundation
import Geo
import Grid

/// A new dispute as reported: where, what, who.
public struct IntakeRequest: Sendable {
    public enum Location: Sendable {
        /// lon/lat in WGS84 (`.crs84`/`.epsg(4326)`) or GCJ-02.
        case point(Position, CRS)
        case household(Int64)
        case camera(String)
    }
    public var category: Case.Category
    public var channel: Case.Channel
    public var priority: Case.Priority
    public var description: String
    public var location: Location
    public var parties: [Party]
    /// A client's key for this request (`Idempotency-Key`, scoped by the caller): the same key
    /// again returns the case the first request made instead of making another.
    public var idempotencyKey: String?
    /// What the request asked, to tell a retry from another request under the same key.
    public var fingerprint = ""
    /// The caller's area: a case that would land outside it is refused (`forbidden`).
    public var area: Area?
    /// A report from outside (a resident, another system): a place in none of the database's
    /// counties is refused (`invalid`) instead of waiting in a county centre's queue.
    public var withinCounties = false
    /// A resident's photo, re-encoded: stored with the case in its transaction.
    public var photo: CasePhoto?
    /// The digest of the resident's one-time rating key (`RatingKey`), stored with the case.
    public var ratingKeyDigest: String?

    public init(category: Case.Category, channel: Case.Channel, priority: Case.Priority = .normal, description: String,
                location: Location, parties: [Party] = []) {
        self.category = category
        self.channel = channel
        self.priority = priority
        self.description = description
        self.location = location
        self.parties = parties
    }
}

/// A camera's alert.
public struct AlertRequest: Sendable {
    public static let types = ["crowd_gathering", "fight", "fire_smoke", "flood_level", "intrusion", "traffic_accident", "other"]
    public var cameraID: String
    public var type: String
    public var at: Date
    public var snapshotURL: String?
    /// Where a PTZ camera pointed for this alert (degrees clockwise from north): turns its view.
    public var bearing: Double?
    /// The caller's area: an alert whose case would land outside it is refused (`forbidden`).
    public var area: Area?
    public init(cameraID: String, type: String, at: Date, snapshotURL: String? = nil, bearing: Double? = nil) {
        self.cameraID = cameraID
        self.type = type
        self.at = at
        self.snapshotURL = snapshotURL
        self.bearing = bearing
    }
}

/// A requested change of state. `target` says where to for escalation (`village`, `town`, `county`,
/// `arbitration`, `court`) and for (re)assignment (`worker:ID`, or a level to hand back down to).
public struct TransitionRequest: Sendable {
    public var to: Case.Status
    public var note: String?
    public var target: String?
    public var rating: Int?
    /// The caller's area: a case outside it cannot be moved, nor moved out of it except upwards
    /// (escalation).
    public var area: Area?
    /// The caller's unit (a committee's or department's desk): it moves only the cases it leads.
    public var unit: String?
    /// A client's key for this step (`Idempotency-Key`, scoped by the caller): a phone that lost
    /// the answer and sends the step again gets the case as it stands, not a second step.
    public var idempotencyKey: String?
    /// A digest of the request the key came with (the case and the body).
    public var fingerprint = ""
    public init(to: Case.Status, note: String? = nil, target: String? = nil, rating: Int? = nil) {
        self.to = to
        self.note = note
        self.target = target
        self.rating = rating
    }
}

/// A committee or department given a part in a case.
public struct HandRequest: Sendable {
    public enum Part: String, Sendable, CaseIterable {
        /// It has the case from now on (the case's `unit`).
        case lead
        /// Called in beside the unit that leads.
        case assist
    }
    public var unit: String
    public var part: Part
    public var note: String?
    /// The caller's area: the case must be in it.
    public var area: Area?
    public init(unit: String, part: Part, note: String? = nil) {
        self.unit = unit
        self.part = part
        self.note = note
    }
}

/// Who is acting, and from where (for the append-only history).
public struct Actor: Sendable {
    public var name: String
    public var source: String
    /// The grid worker acting, when it is one: a case they file on patrol counts as their report.
    public var workerID: Int64?
    public init(_ name: String, source: String, workerID: Int64? = nil) {
        self.name = name
        self.source = source
        self.workerID = workerID
    }
}

/// Puts every case on someone who will handle it, by where it happened, and moves it through its
/// lifecycle. Works over one store connection (so one task or queue at a time) and a `Territory`
/// that it shares with whoever else dispatches; a new layer is handed in with `use(_:)`.
public final class Dispatcher {
    public let store: any StoreConnection
    public var cases: any CaseStore { store.cases }
    /// Seals and opens the parties' ID and phone numbers.
    public let partyKey: PartyKey
    public var grids: any GridStore { store.grids }
    public private(set) var territory: Territory
    public var unitNames: UnitNames { territory.unitNames }
    /// Deadlines and settings, read at the first use (they change by migration or by hand).
    private var cachedRules: CaseRules?
    /// Made at the first intake (a dispatcher that only moves cases does not need it).
    private var openCases: OpenCaseIndex?
    /// Other changes to open cases, from the feed (when the process follows one).
    private let updates: OpenCaseIndex.Updates?

    /// - Parameters:
    ///   - territory: the layer to place cases in; read from the store when not given.
    ///   - feed: the process's change feed, which keeps the open-case index in step with changes
    ///     made elsewhere; without one (a command) the index knows this dispatcher's own intakes.
    ///   - partyKey: seals the parties' numbers; the database's own key file when not given.
    public init(store: any StoreConnection, territory: Territory? = nil, feed: ChangeFeed? = nil, partyKey: PartyKey? = nil) throws {
        self.store = store
        self.partyKey = try partyKey ?? PartyKey.forDatabase(store)
        self.territory = try territory ?? Territory.load(store)
        updates = feed.map { OpenCaseIndex.Updates(feed: $0) }
    }

    /// Places cases in this layer from now on.
    public func use(_ t: Territory) { territory = t }

    /// After a transaction that held this dispatcher's writes was rolled back: what it keeps in
    /// memory about stored cases may name cases that are not there.
    public func forgetUncommitted() {
        openCases = nil
    }

    public func rules() throws -> CaseRules {
        if let r = cachedRules { return r }
        let r = try cases.rules()
        cachedRules = r
        return r
    }

    /// The party's rating of a closed case by its tracking code and the one-time key they were
    /// given (the step to `rated`: once, as the lifecycle allows).
    public func rate(code: String, key: String, rating: Int, now: Date = Date()) throws -> Case {
        guard let c = try cases.find(code: TrackingCode.normalise(code)) else { throw CaseError(.notFound, "no case with code \(code)") }
        guard let stored = try cases.ratingKeyDigest(caseID: c.id), RatingKey.matches(key, stored) else {
            throw CaseError(.forbidden, "this rating link is not the one given with the case")
        }
        guard c.status == .closed else {
            throw CaseError(.conflict, c.status == .rated ? "the case has been rated already" : "the case can be rated once it is closed (it is \(c.status.name))")
        }
        return try transition(caseID: c.id, TransitionRequest(to: .rated, rating: rating), actor: Actor("party", source: "track"), now: now)
    }

    // MARK: intake

    public func intake(_ r: IntakeRequest, actor: Actor, now: Date = Date()) throws -> Case {
        guard let key = r.idempotencyKey else { return try intake(r, actor: actor, now: now, alert: nil) }
        if let (id, fingerprint) = try cases.idempotentCase(key: key) {
            guard fingerprint == r.fingerprint else {
                throw CaseError(.invalid, "this Idempotency-Key was used for another request; use a new key for a new case")
            }
            guard let c = try cases.find(id: id) else { throw CaseError(.notFound, "no case \(id)") }
            return c
        }
        return try store.write {
            let c = try intake(r, actor: actor, now: now, alert: nil)
            try cases.remember(key: key, fingerprint: r.fingerprint, caseID: c.id, at: now)
            return c
        }
    }

    /// `alert`: the camera alert that opens this case, stored with it in the same transaction.
    private func intake(_ r: IntakeRequest, actor: Actor, now: Date, alert: AlertRequest?) throws -> Case {
        let description = r.description.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !description.isEmpty else { throw CaseError(.invalid, "description is empty") }
        try Limits.check(description, "description", max: Limits.description)
        guard r.parties.count <= Limits.parties else { throw CaseError(.invalid, "at most \(Limits.parties) parties, not \(r.parties.count)") }
        for (k, p) in r.parties.enumerated() {
            guard !p.name.trimmingCharacters(in: .whitespaces).isEmpty else { throw CaseError(.invalid, "parties[\(k)].name is empty") }
            try Limits.check(p.name, "parties[\(k)].name", max: Limits.name)
            try p.phone.map { try Limits.check($0, "parties[\(k)].phone", max: Limits.number) }
            try p.idNumber.map { try Limits.check($0, "parties[\(k)].id_number", max: Limits.number) }
        }
        var householdID: Int64?, cameraID: String?, camera: Camera?
        let position: Position
        switch r.location {
        case .point(let p, let crs):
            position = try Self.wgs84(p, crs)
        case .household(let id):
            guard let h = try grids.household(id: id) else { throw CaseError(.notFound, "unknown household \(id)") }
            position = h.position
            householdID = id
        case .camera(let id):
            guard let c = try grids.camera(id: id) else { throw CaseError(.notFound, "unknown camera \(id)") }
            position = c.position
            cameraID = id
            camera = c
        }
        if r.withinCounties, !territory.counties.codes.isEmpty, territory.counties.code(at: position) == nil {
            throw CaseError(.invalid, "the place (\(position.lon), \(position.lat)) is outside the county this centre serves")
        }
        let rules = try rules()
        let rule = try rules.deadline(r.category, r.priority)
        var c = Case(id: 0, code: TrackingCode.make(), category: r.category, channel: r.channel, priority: r.priority,
                     description: description, position: position, householdID: householdID, cameraID: cameraID,
                     alertType: nil, alertCount: 0, snapshotURL: nil, gridCode: nil, level: .grid, unit: "", workerID: nil,
                     status: .reported, unlocated: false, overdue: false, groupDispute: false, relatedTo: nil,
                     reportedAt: now, acceptBy: now + rule.accept, arriveBy: rule.arrive.map { now + $0 }, dueAt: now + rule.resolve,
                     acceptedAt: nil, resolvedAt: nil, closedAt: nil, rating: nil)
        if let alert {
            c.alertType = alert.type
            c.alertCount = 1
            c.snapshotURL = alert.snapshotURL
        }
        var events = [CaseEvent(at: now, actor: actor.name, source: actor.source, action: "reported", from: nil, to: .reported,
                                unit: nil, note: r.channel.rawValue)]
        if let camera {
            // A camera's case goes to the grid it looks at; the pole's grid is kept beside it.
            try territory.place(&c, now: now, in: territory.layer.viewedGrid(of: camera, bearing: alert?.bearing))
            c.poleGridCode = territory.layer.grid(at: camera.position)?.code
        } else {
            try territory.place(&c, now: now)
        }
        // The micro-grid of the case's grid where it happened: its leader is the first to it.
        c.microgridCode = territory.microgrids.microgrid(at: c.position, in: c.gridCode)?.code
        if let area = r.area, !area.holds(c) {
            throw CaseError(.forbidden, "this place is handled by \(territory.unitNames.name(c.unit)), outside your area \(area)")
        }
        // An urgent case goes to whoever on duty is near (3必到), the reason kept with the assignment.
        /// Why the case went where it did (nearest on duty, a routing rule), kept with the assignment.
        var why: String?
        if c.priority == .urgent, !c.unlocated, let g = c.gridCode {
            let near = NearestOnDuty(gridCode: g, at: c.position, territory: territory, positions: try store.field.positions(), now: now)
            let (pick, reason) = near.choice()
            why = reason
            if let pick {
                c.level = .grid
                c.unit = "grid:\(g)"
                c.workerID = pick.worker.id
            }
        }
        // Related disputes: same category, open, near in place and time.
        let related = try relatedCases(to: c, now: now)
        if let root = related.first {
            c.relatedTo = root.relatedTo ?? root.id
            let parties = try cases.groupPartyCount(root: c.relatedTo!) + r.parties.count
            if parties >= rules.groupPartyThreshold && !c.unlocated {
                c.groupDispute = true
                if let up = c.level.up { try territory.route(&c, to: up, now: now) }
            }
        }
        // The centre's rule for the category (a committee takes every new labour dispute, say);
        // urgent cases stay with whoever is near, group disputes a level up.
        if c.priority == .normal, !c.groupDispute, let u = territory.routeByRule(&c) {
            why = "\(c.category.name): new cases go to \(u.name) (routing rule)"
        }
        if c.unlocated {
            events.append(CaseEvent(at: now, actor: "system", source: "dispatch", action: "queued", from: .reported, to: .reported,
                                    unit: c.unit, note: "location in no grid: county centre queue"))
        } else {
            events.append(CaseEvent(at: now, actor: "system", source: "dispatch", action: "assigned", from: .reported, to: .assigned,
                                    unit: c.unit, note: c.groupDispute ? "group dispute (群体性): one level up" : why))
            c.status = .assigned
        }
        let stored = try insert(c, parties: try r.parties.map(partyKey.seal), events: events)
        if let p = r.photo { try cases.attach(p, caseID: stored.id, at: now) }
        if let d = r.ratingKeyDigest { try cases.remember(ratingKeyDigest: d, caseID: stored.id) }
        if r.channel == .patrol, let w = actor.workerID { try store.field.recordReport(caseID: stored.id, worker: w, at: now) }
        openCases?.added(stored)
        return stored
    }

    /// Stores a new case; a tracking code already in use (60 random bits: it happens) is drawn again.
    private func insert(_ c: Case, parties: [StoredParty], events: [CaseEvent]) throws -> Case {
        var c = c
        for attempt in 0..<3 {
            do {
                return try cases.insert(c, parties: parties, events: events).0
            } catch let e as StoreError where e.kind == .conflict && attempt < 2 {
                c.code = TrackingCode.make()
            }
        }
        throw CaseError(.conflict, "could not store the case")
    }

    public static func wgs84(_ p: Position, _ crs: CRS) throws -> Position {
        guard p.lon.isFinite, p.lat.isFinite, (-180...180).contains(p.lon), (-90...90).contains(p.lat) else {
            throw CaseError(.invalid, "location \(p.lon), \(p.lat) is not a longitude/latitude")
        }
        let w: Position
        switch crs {
        case .gcj02:
            guard let x = try? ChinaOffset.gcj02ToWGS84(p) else { throw CaseError(.invalid, "location \(p.lon), \(p.lat) is outside China, where GCJ-02 is not defined") }
            w = x
        case let c where c.isWGS84LonLat: w = p
        default: throw CaseError(.invalid, "unsupported crs \(crs): use EPSG:4326 (WGS84) or GCJ-02")
        }
        guard ChinaOffset.isInsideChina(w) else { throw CaseError(.invalid, "location \(p.lon), \(p.lat) is outside China") }
        return w
    }

    /// Open cases of the same category near in place and time, oldest first.
    private func relatedCases(to c: Case, now: Date) throws -> [OpenCaseIndex.Entry] {
        let index = try openCases ?? OpenCaseIndex(try cases.openCases())
        openCases = index
        updates?.apply(to: index)
        let rules = try rules()
        return index.near(c.position, category: c.category, since: now - rules.relatedWindowHours * 3600, metres: rules.relatedDistance)
    }

    // MARK: history

    /// Stores cases from another system's past, each placed by location as an intake is (routed
    /// to its recorded level when it has one), in one transaction: all or nothing. Records
    /// imported before (by external id, or by what they say when they have none) are skipped. A
    /// level the place has no unit of (a village for a point in no grid) is a problem naming the
    /// feature.
    public func importHistory(_ records: [HistoricCase], actor: Actor, now: Date = Date()) throws -> HistoryImport {
        let keys = records.map(\.key)   // a digest for records without an external id: made once
        let known = try cases.importedIDs(among: keys)
        let rules = try rules()
        var made: [(Case, [CaseEvent], String)] = []
        var problems: [ImportProblem] = []
        for (r, key) in zip(records, keys) where !known.contains(key) {
            let t = r.reportedAt
            let rule = try rules.deadline(r.category, r.priority)
            var c = Case(id: 0, code: TrackingCode.make(), category: r.category, channel: r.channel, priority: r.priority,
                         description: r.description, position: r.position, alertCount: 0, level: .grid, unit: "",
                         status: .reported, unlocated: false, overdue: false, groupDispute: false,
                         reportedAt: t, acceptBy: t + rule.accept, arriveBy: rule.arrive.map { t + $0 }, dueAt: t + rule.resolve)
            try territory.place(&c, now: t)
            if let level = r.level, level != c.level {
                do { try territory.route(&c, to: level, now: t) } catch let e as CaseError {
                    problems.append(ImportProblem(feature: r.feature, label: r.externalID.map { "external_id \($0)" }, reason: "level \(level.rawValue): \(e.reason)"))
                    continue
                }
            }
            var events = [CaseEvent(at: t, actor: actor.name, source: actor.source, action: "reported", from: nil, to: .reported,
                                    unit: nil, note: r.channel.rawValue)]
            let placed: Case.Status = c.unlocated ? .reported : .assigned
            c.status = r.status ?? placed
            if [.resolved, .closed, .rated].contains(c.status) { c.resolvedAt = r.closedAt }
            if [.closed, .rated].contains(c.status) { c.closedAt = r.closedAt }
            c.rating = r.rating
            events.append(CaseEvent(at: r.closedAt ?? t, actor: actor.name, source: actor.source, action: "imported", from: .reported,
                                    to: c.status, unit: c.unit, note: r.externalID.map { "external_id \($0)" }))
            made.append((c, events, key))
        }
        guard problems.isEmpty else { throw ImportError(problems) }
        do {
            try store.write {
                for (c, events, key) in made {
                    try cases.remember(externalID: key, caseID: try insert(c, parties: [], events: events).id)
                }
            }
        } catch {
            forgetUncommitted()
            throw error
        }
        openCases = nil   // read again at the next intake, with the imported open cases
        return HistoryImport(imported: made.count, skipped: records.count - made.count, unlocated: made.filter { $0.0.unlocated }.count)
    }

    // MARK: camera alerts

    /// Opens a case at the camera, or joins the open case of the same camera and type within the
    /// dedupe window. Returns the case and whether it was merged.
    public func alert(_ a: AlertRequest, actor: Actor) throws -> (Case, merged: Bool) {
        guard AlertRequest.types.contains(a.type) else {
            throw CaseError(.invalid, "unknown alert type \(a.type); known: \(AlertRequest.types.joined(separator: ", "))")
        }
        guard let camera = try grids.camera(id: a.cameraID) else { throw CaseError(.notFound, "unknown camera \(a.cameraID)") }
        guard a.at >= Limits.earliest, a.at <= Date() + 3600 else {
            throw CaseError(.invalid, "at must be a time from 2000 to now, not \(ChinaTime.text(a.at))")
        }
        if let b = a.bearing {
            guard b.isFinite, b >= 0, b < 360 else { throw CaseError(.invalid, "bearing \(b) is not in [0, 360) degrees") }
            guard camera.view != nil else {
                throw CaseError(.invalid, "camera \(camera.id) has no view parameters (azimuth, fov, range_m): a bearing cannot turn it")
            }
        }
        let window = try rules().alertDedupeMinutes * 60
        if var open = try cases.openAlert(cameraID: camera.id, type: a.type, since: a.at - window) {
            if let area = a.area, !area.holds(open) {
                throw CaseError(.forbidden, "this camera's open alert (case \(open.id)) is with \(territory.unitNames.name(open.unit)), outside your area \(area)")
            }
            open.alertCount += 1
            if let url = a.snapshotURL { open.snapshotURL = url }
            try cases.update(open, events: [CaseEvent(at: a.at, actor: actor.name, source: actor.source, action: "alert merged",
                                                      from: open.status, to: open.status, unit: open.unit, note: a.type)])
            return (open, true)
        }
        let urgent = ["fight", "fire_smoke", "flood_level", "crowd_gathering"].contains(a.type)
        let category: Case.Category = a.type == "traffic_accident" ? .traffic : a.type == "fight" ? .neighbour : .other
        var r = IntakeRequest(category: category, channel: .camera, priority: urgent ? .urgent : .normal,
                              description: "camera alert: \(a.type) at \(camera.name)", location: .camera(camera.id))
        r.area = a.area
        let c = try intake(r, actor: actor, now: a.at, alert: a)
        return (c, false)
    }

    /// A photo added to a case (a worker's from the field), recorded in its history; with a key,
    /// a retry whose answer was lost adds nothing. Returns the case's photo count.
    public func attach(_ photo: CasePhoto, caseID: Int64, actor: Actor, key: String? = nil, fingerprint: String = "", now: Date = Date()) throws -> Int {
        if let key, let (id, stored) = try cases.idempotentCase(key: key) {
            guard stored == fingerprint, id == caseID else {
                throw CaseError(.invalid, "this Idempotency-Key was used for another request; use a new key for a new photo")
            }
            return try cases.photos(caseID: caseID).count
        }
        return try store.write {
            guard let c = try cases.find(id: caseID) else { throw CaseError(.notFound, "no case \(caseID)") }
            let count = try cases.photos(caseID: caseID).count
            guard count < 20 else { throw CaseError(.conflict, "case \(caseID) has 20 photos already") }
            try cases.attach(photo, caseID: caseID, at: now)
            try cases.update(c, events: [CaseEvent(at: now, actor: actor.name, source: actor.source, action: "photo", from: c.status, to: c.status,
                                                   unit: c.unit, note: "\(photo.width)×\(photo.height)")])
            if let key { try cases.remember(key: key, fingerprint: fingerprint, caseID: caseID, at: now) }
            return count + 1
        }
    }

    // MARK: units

    /// Hands a case to a committee or department (`lead`: it has the case from now on, as a
    /// reassignment) or calls one in beside the unit that leads (`assist`, 部门协办), recorded in
    /// the case's events. Calling in a unit already assisting changes nothing.
    /// Returns the case and the units assisting with it now.
    public func hand(caseID: Int64, _ h: HandRequest, actor: Actor, now: Date = Date()) throws -> (Case, assists: [CaseAssist]) {
        try h.note.map { try Limits.check($0, "note", max: Limits.note) }
        guard let u = territory.units[h.unit] else { throw CaseError(.notFound, "unknown unit \(h.unit) (GET /api/units lists them)") }
        return try store.write {
            guard var c = try cases.find(id: caseID) else { throw CaseError(.notFound, "unknown case \(caseID)") }
            if let area = h.area, !area.holds(c) {
                throw CaseError(.forbidden, "case \(caseID) is with \(territory.unitNames.name(c.unit)), outside your area \(area)")
            }
            let county = territory.county(of: c)
            guard u.serves(gridCode: c.gridCode, county: county) else {
                throw CaseError(.invalid, "\(u.name) serves \(u.area); case \(caseID) is in \(c.gridCode.map { "grid \($0)" } ?? county ?? "no county")")
            }
            switch h.part {
            case .lead:
                guard u.categories.contains(c.category) else {
                    throw CaseError(.invalid, "\(u.name) takes \(u.categories.map(\.rawValue).joined(separator: ", ")), not \(c.category.rawValue): call it in to assist, or hand the case to a unit that takes \(c.category.rawValue)")
                }
                guard c.unit != u.code else { return (c, try cases.assists(caseID: caseID)) }
                guard c.status.next.contains(.assigned) else {
                    throw CaseError(.conflict, "case \(caseID) is \(c.status.rawValue) and cannot be handed on (a case is handed on when reported, assigned or escalated)")
                }
                let from = c.status
                territory.hand(&c, to: u)
                c.status = .assigned
                try cases.update(c, events: [CaseEvent(at: now, actor: actor.name, source: actor.source, action: "transition", from: from, to: .assigned,
                                                       unit: u.code, note: h.note ?? "handed to \(u.name)")])
            case .assist:
                guard c.status.isOpen else { throw CaseError(.conflict, "case \(caseID) is \(c.status.rawValue): units are called in while it is open") }
                guard c.unit != u.code else { throw CaseError(.invalid, "\(u.name) leads case \(caseID) already") }
                guard try !cases.assists(caseID: caseID).contains(where: { $0.unit == u.code }) else { return (c, try cases.assists(caseID: caseID)) }
                try cases.add(CaseAssist(unit: u.code, at: now), caseID: caseID)
                try cases.update(c, events: [CaseEvent(at: now, actor: actor.name, source: actor.source, action: "assist", from: c.status, to: c.status,
                                                       unit: u.code, note: h.note ?? "\(u.name) called in")])
            }
            return (c, try cases.assists(caseID: caseID))
        }
    }

    // MARK: lifecycle

    public func transition(caseID: Int64, _ t: TransitionRequest, actor: Actor, now: Date = Date()) throws -> Case {
        guard let key = t.idempotencyKey else { return try step(caseID: caseID, t, actor: actor, now: now) }
        if let (id, fingerprint) = try cases.idempotentCase(key: key) {
            guard fingerprint == t.fingerprint, id == caseID else {
                throw CaseError(.invalid, "this Idempotency-Key was used for another request; use a new key for a new step")
            }
            guard let c = try cases.find(id: id) else { throw CaseError(.notFound, "no case \(id)") }
            return c
        }
        return try store.write {
            let c = try step(caseID: caseID, t, actor: actor, now: now)
            try cases.remember(key: key, fingerprint: t.fingerprint, caseID: caseID, at: now)
            return c
        }
    }

    private func step(caseID: Int64, _ t: TransitionRequest, actor: Actor, now: Date) throws -> Case {
        try t.note.map { try Limits.check($0, "note", max: Limits.note) }
        if t.rating != nil, t.to != .rated { throw CaseError(.invalid, "a rating is given with the step to rated, not to \(t.to.rawValue)") }
        guard var c = try cases.find(id: caseID) else { throw CaseError(.notFound, "unknown case \(caseID)") }
        if let u = t.unit {
            guard c.unit == u else {
                throw CaseError(.forbidden, "case \(caseID) is led by \(territory.unitNames.name(c.unit)): a unit moves the cases it leads")
            }
            guard t.to != .assigned else {
                throw CaseError(.forbidden, "a unit hands a case on by escalating it (to the county centre, arbitration or court)")
            }
        }
        if let area = t.area, !area.holds(c) {
            throw CaseError(.forbidden, "case \(caseID) is with \(territory.unitNames.name(c.unit)), outside your area \(area)")
        }
        let from = c.status
        guard from.next.contains(t.to) else {
            let allowed = from.next.map(\.rawValue).joined(separator: ", ")
            throw CaseError(.conflict, "case \(caseID) is \(from.rawValue) and cannot become \(t.to.rawValue); allowed: \(allowed.isEmpty ? "none (the case is finished)" : allowed)")
        }
        var note = t.note
        switch t.to {
        case .assigned:
            if let target = t.target, target.hasPrefix("worker:") {
                guard let id = Int64(target.dropFirst(7)), let w = try grids.worker(id: id) else {
                    throw CaseError(.notFound, "unknown worker \(target.dropFirst(7))")
                }
                c.workerID = w.id
                c.level = .grid
                c.unit = c.gridCode.map { "grid:\($0)" } ?? c.unit
            } else if let target = t.target {
                guard let level = Case.Level(rawValue: target) else { throw CaseError(.invalid, "unknown target \(target)") }
                try territory.route(&c, to: level, now: now)
            } else {
                guard c.gridCode != nil else { throw CaseError(.invalid, "the case is in no grid: give a target (worker:ID, town, county)") }
                try territory.route(&c, to: .grid, now: now)   // handed back down to the grid
                if c.workerID == nil { try territory.route(&c, to: .town, now: now) }
            }
            c.unlocated = false
        case .escalated:
            let level: Case.Level
            if let target = t.target {
                guard let l = Case.Level(rawValue: target), l != .grid else {
                    throw CaseError(.invalid, "escalate to village, town, county, arbitration or court, not \(target)")
                }
                level = l
            } else {
                guard let up = c.level.up else {
                    throw CaseError(.conflict, "case \(caseID) is already with the \(c.level.rawValue); escalate across to arbitration or court")
                }
                level = up
            }
            try territory.route(&c, to: level, now: now)
        case .accepted: c.acceptedAt = now
        case .mediating: break
        case .resolved: c.resolvedAt = now
        case .closed: c.closedAt = now
        case .rated:
            guard let r = t.rating, (1...5).contains(r) else { throw CaseError(.invalid, "a rating from 1 to 5 is required") }
            c.rating = r
            note = note ?? "rating \(r)"
        case .reported: break
        }
        // Out of the area only upwards: a village desk escalates to its town, but hands nothing
        // to another town's grid.
        if let area = t.area, !area.holds(c), t.to != .escalated {
            throw CaseError(.forbidden, "this would give case \(caseID) to \(territory.unitNames.name(c.unit)), outside your area \(area)")
        }
        c.status = t.to
        try cases.update(c, events: [CaseEvent(at: now, actor: actor.name, source: actor.source, action: "transition",
                                               from: from, to: t.to, unit: c.unit, note: note)])
        return c
    }

    /// Flags open cases past a deadline; those whose rule says so escalate a level by themselves.
    public func checkOverdue(now: Date = Date()) throws -> [Case] {
        var out: [Case] = []
        for var c in try cases.newlyOverdue(now: now) {
            c.overdue = true
            var events = [CaseEvent(at: now, actor: "system", source: "deadlines", action: "overdue", from: c.status, to: c.status,
                                    unit: c.unit, note: nil)]
            if try rules().deadline(c.category, c.priority).autoEscalate, c.status != .escalated, let up = c.level.up {
                let from = c.status
                try territory.route(&c, to: up, now: now)
                c.status = .escalated
                events.append(CaseEvent(at: now, actor: "system", source: "deadlines", action: "transition", from: from, to: .escalated,
                                        unit: c.unit, note: "overdue: escalated automatically"))
            }
            try cases.update(c, events: events)
            out.append(c)
        }
        return out
    }

}

extension CaseStore {
    /// The public view by tracking code: status, timeline, the unit that handles it and those
    /// called in; never names, phones or IDs.
    public func track(code: String) throws -> (Case, [CaseEvent], assists: [CaseAssist]) {
        guard let c = try find(code: TrackingCode.normalise(code)) else { throw CaseError(.notFound, "no case with code \(code)") }
        return (c, try events(caseID: c.id), try assists(caseID: c.id))
    }
}

/// Bounds on what a request may store: everything kept in the append-only events is kept for ever
/// and shown to every reader, so text has a size, and no text holds a NUL (stored truncated once).
public enum Limits {
    public static let description = 10_000
    public static let note = 2_000
    public static let name = 100
    /// Phone and ID numbers.
    public static let number = 32
    public static let parties = 50
    /// No Wangge time is before this (an alert's `at` of year 1 was stored and printed as year 0).
    public static let earliest = Date(timeIntervalSince1970: 946_684_800)   // 2000-01-01T00:00:00Z

    /// Refuses text longer than `max` characters or holding a NUL, naming the field.
    public static func check(_ text: String, _ field: String, max: Int) throws {
        guard text.count <= max else { throw CaseError(.invalid, "\(field) is longer than \(max) characters") }
        guard !text.utf8.contains(0) else { throw CaseError(.invalid, "\(field) holds a NUL character") }
    }
}
