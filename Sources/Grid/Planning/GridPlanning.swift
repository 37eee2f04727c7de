import Foundation
import Geo

/// The planners' workflow over a store: make a plan from the live layer, edit it, validate it,
/// preview what publishing moves, publish it (refused with problems or on a stale base), roll back.
/// The CLI and the server call this; it holds no state of its own.
public struct GridPlanning {
    public let store: GridStore

    public init(store: GridStore) { self.store = store }

    public func newPlan(name: String, fromVersion: Int? = nil) throws -> Plan {
        try store.createPlan(name: name, fromVersion: fromVersion)
    }

    /// What one edit of a plan did: the grids it names, and the grids that differ, as they were and
    /// as they are, so that a client can draw the change and undo or redo it exactly.
    public struct Change: Sendable {
        public var touched: [String]
        /// Changed and removed grids, as they were.
        public var before: [Grid]
        /// Changed and added grids, as they are now.
        public var after: [Grid]
        /// The plan's problems after the edit, found on the layer the editor holds (not read again).
        public var problems: [LayerProblem]
        public var removed: [String] { Self.codes(before, without: after) }
        public var added: [String] { Self.codes(after, without: before) }
        static func codes(_ a: [Grid], without b: [Grid]) -> [String] {
            let keep = Set(b.map(\.code))
            return a.map(\.code).filter { !keep.contains($0) }
        }
    }

    /// Runs one operation on a draft plan and saves the result; nothing is saved if it throws.
    /// `area`: the caller's; an edit that adds, removes or changes a grid outside it is refused
    /// (`OutsideArea`) and nothing is saved.
    @discardableResult
    public func edit(plan id: Int64, within area: Area? = nil, _ operation: (inout PlanEditor) throws -> [String]) throws -> [String] {
        try change(plan: id, within: area, validated: false, operation).touched
    }

    /// `edit`, answering what changed and (`validated`) the plan's problems after it.
    public func change(plan id: Int64, within area: Area? = nil, validated: Bool = true,
                       _ operation: (inout PlanEditor) throws -> [String]) throws -> Change {
        let plan = try store.plan(id: id)
        guard plan.status == .draft else { throw PlanError("plan \(id) is \(plan.status.rawValue); only a draft can change") }
        let before = try store.planGrids(id: id)
        // The address points of the grids an edit draws anew, not the county's.
        let store = store
        let layer = try !store.households(PointQuery(limit: 1, count: false)).rows.isEmpty
        var editor = PlanEditor(grids: before, boundaries: try store.boundaries(), householdsIn: { box in
            guard layer else { return nil }
            var q = PointQuery(limit: Int(Int32.max), count: false)
            q.bbox = box
            return try store.households(q).rows.map(\.household)
        })
        let touched = try operation(&editor)
        let old = Dictionary(before.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        let new = Dictionary(editor.grids.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        let was = before.filter { new[$0.code] != $0 }, now = editor.grids.filter { old[$0.code] != $0 }
        try OutsideArea.check(touched + was.map(\.code) + now.map(\.code), in: area, "this edit")
        // In the store's order (by code), so the problems come as `validate(plan:)` lists them.
        let sorted = editor.grids.sorted { $0.code < $1.code }
        let problems = validated ? try LayerValidator().validate(sorted, boundaries: editor.boundaries)
            + MicroGridValidator().validate(try store.microgrids(), grids: sorted) : []
        let change = Change(touched: touched, before: was, after: now, problems: problems)
        if !was.isEmpty || !now.isEmpty { try store.savePlanGrids(id: id, changed: now, removed: change.removed) }
        return change
    }

    /// Problems of a plan, or of the live layer when `plan` is nil.
    /// With the micro-grids against the layer's grids: a plan's say which ones its new boundaries
    /// cross (publishing derives them anew).
    public func validate(plan id: Int64?) throws -> [LayerProblem] {
        let grids = try id.map { try store.planGrids(id: $0) } ?? store.grids()
        return try LayerValidator().validate(grids, boundaries: try store.boundaries())
            + MicroGridValidator().validate(try store.microgrids(), grids: grids)
    }

    /// What publishing the plan would change.
    public func preview(plan id: Int64) throws -> LayerDiff {
        try LayerDiff(from: try store.grids(), to: try store.planGrids(id: id), households: try store.households(), cameras: try store.cameras())
    }

    public struct Published: Sendable {
        public var version: Int
        public var diff: LayerDiff
        public var moves: Int
    }

    /// Publishes a draft: refused while it has validation problems or when the live layer has
    /// moved on since the plan was made. One transaction; nothing changes when refused.
    /// `area`: the caller's; a plan that changes a grid outside it is refused (`OutsideArea`).
    public func publish(plan id: Int64, effectiveAt: Date = Date(), within area: Area? = nil) throws -> Published {
        let plan = try store.plan(id: id)
        guard plan.status == .draft else { throw PlanError("plan \(id) is already \(plan.status.rawValue)") }
        if area != nil {
            let d = try preview(plan: id)
            try OutsideArea.check(d.added + d.removed + d.changed.map(\.code), in: area, "plan \(id)")
        }
        let current = try store.currentVersion()
        guard plan.baseVersion == current else {
            throw PlanError("plan \(id) was made on version \(plan.baseVersion) but the live layer is now version \(current); make a new plan")
        }
        let grids = try store.planGrids(id: id)
        let problems = try LayerValidator().validate(grids, boundaries: try store.boundaries())
        guard problems.isEmpty else {
            throw PlanError("plan \(id) has \(problems.count) validation problems; fix them first:\n"
                            + problems.prefix(20).map { "  \($0)" }.joined(separator: "\n")
                            + (problems.count > 20 ? "\n  … and \(problems.count - 20) more" : ""))
        }
        let before = try store.grids()
        let report = try publishLayer(grids, note: "plan \(id): \(plan.name)", planID: id, effectiveAt: effectiveAt, replacing: before)
        let diff = try LayerDiff(from: before, to: report.grids, moves: report.moves, households: try store.households())
        return Published(version: report.version, diff: diff, moves: report.moves.count)
    }

    /// Publishes `grids` as the live layer (`before`: the layer it replaces), their micro-grids
    /// derived anew where grids changed, in the same transaction.
    public func publishLayer(_ grids: [Grid], note: String, planID: Int64? = nil, effectiveAt: Date = Date(), replacing before: [Grid]) throws -> PublishReport {
        let store = store
        let micro = try MicroGridReplacement.derive(current: try store.microgrids(), before: before, after: grids, households: { try store.households() })
        return try store.publish(grids, note: note, planID: planID, effectiveAt: effectiveAt, microgrids: micro)
    }

    /// Roll back: publish an earlier version again, as a new version (history is never rewritten).
    public func rollback(to version: Int, effectiveAt: Date = Date()) throws -> Published {
        let plan = try store.createPlan(name: "roll back to version \(version)", fromVersion: version)
        return try publish(plan: plan.id, effectiveAt: effectiveAt)
    }

    /// Refuses a store that already holds a county (a demo goes into a new file).
    public func requireEmpty() throws {
        guard try store.currentVersion() == 0, try store.boundaries().isEmpty else {
            throw StoreError(.conflict, "the database already holds a county; build the demo into a new --db file")
        }
    }

    /// Installs a demo county into an empty store: boundaries, households, cameras, staff, and the
    /// grid layer as version 1.
    public func install(_ demo: DemoCounty.Result, county: Boundary, note: String) throws -> Int {
        try install(demo, counties: [county], note: note)
    }

    /// Several counties at once: one layer version holds all their grids.
    public func install(_ demo: DemoCounty.Result, counties: [Boundary], note: String) throws -> Int {
        try requireEmpty()
        try store.save(boundaries: counties + demo.towns + demo.villages)
        try store.save(households: demo.households)
        try store.save(cameras: demo.cameras)
        let report = try store.publish(demo.grids, note: note, planID: nil, effectiveAt: Date())
        try store.save(workers: demo.workers, posts: demo.posts, shifts: demo.shifts)
        if !demo.microgrids.isEmpty {
            try store.replaceMicrogrids(ofGrids: Set(demo.microgrids.map(\.gridCode)), with: demo.microgrids, leaders: [])
        }
        return report.version
    }
}
