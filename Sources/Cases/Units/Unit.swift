import Foundation
import Geo
import Grid

/// A unit besides the grids and the levels' centres that takes cases of some categories: a
/// mediation committee (人民调解委员会, 专业调委会) or a department's window (部门窗口, 网格吹哨、部门报到).
/// Its code is `kind:area:key`, e.g. `committee:511725:labour` — the area (a county's, town's or
/// village's code) second, so that an area's desk holds the cases of the units in its area, as it
/// holds those of its grids (`Area.holds`).
public struct HandlingUnit: Sendable, Hashable {
    public enum Kind: String, Sendable, CaseIterable {
        case committee, department
        public var name: String { self == .committee ? "调委会" : "部门" }
    }
    public var kind: Kind
    /// The boundary code of the area it serves: 6, 9 or 12 digits.
    public var area: String
    /// Short, lower case, unique among the area's units of the kind: `labour`, `civil-affairs`.
    public var key: String
    public var name: String
    /// The categories it takes: it may lead cases of these (any unit may be called in to assist).
    public var categories: [Case.Category]
    /// New cases of these categories in its area go straight to it (a rule of the centre's).
    public var routes: [Case.Category]

    public init(kind: Kind, area: String, key: String, name: String, categories: [Case.Category], routes: [Case.Category] = []) {
        self.kind = kind
        self.area = area
        self.key = key
        self.name = name
        self.categories = categories
        self.routes = routes
    }

    public var code: String { "\(kind.rawValue):\(area):\(key)" }

    /// The level its cases are at: that of its area (escalation from a county's committee goes
    /// across, to arbitration or the court).
    public var level: Case.Level { area.utf8.count == 6 ? .county : area.utf8.count == 9 ? .town : .village }

    /// Whether a case is in the area it serves (its grid; without one, the county it is in).
    func serves(gridCode: String?, county: String?) -> Bool {
        if let g = gridCode { return g.hasPrefix(area) }
        return county == area
    }
}

/// A unit called in to help with a case it does not lead (部门协办): it sees the case and is named
/// on the tracking page. The unit that leads is the case's own `unit`.
public struct CaseAssist: Sendable, Hashable {
    public var unit: String
    public var at: Date
    public init(unit: String, at: Date) {
        self.unit = unit
        self.at = at
    }
}

/// The units of a database by code, and the routing rules they carry. A value built with the
/// territory; an import makes a new one.
public struct HandlingUnits: Sendable {
    public let all: [HandlingUnit]
    private let byCode: [String: HandlingUnit]
    /// `area/category` → the unit new cases go to.
    private let routes: [String: HandlingUnit]

    public init(_ units: [HandlingUnit]) {
        all = units.sorted { $0.code < $1.code }
        byCode = Dictionary(units.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        routes = Dictionary(units.flatMap { u in u.routes.map { ("\(u.area)/\($0.rawValue)", u) } }, uniquingKeysWith: { a, _ in a })
    }

    public subscript(code: String) -> HandlingUnit? { byCode[code] }

    /// The unit a new case of `category` goes to by rule: the most local area's (village, town,
    /// county) that has one.
    public func route(_ category: Case.Category, gridCode: String?, county: String?) -> HandlingUnit? {
        let areas = gridCode.map { g in [12, 9, 6].filter { g.utf8.count >= $0 }.map { String(g.prefix($0)) } } ?? county.map { [$0] } ?? []
        return areas.lazy.compactMap { routes["\($0)/\(category.rawValue)"] }.first
    }
}

/// Reads a units file — `{"units": [{"kind", "area", "key", "name", "categories", "routes"}]}` —
/// checking everything before anything is stored: every problem named by its place in the file.
public enum UnitsFile {
    public static func read(_ bytes: [UInt8], areas known: Set<String>, existing: [HandlingUnit] = []) throws -> [HandlingUnit] {
        let root: JSONValue
        do { root = try JSONParser.parse(bytes) } catch { throw ImportError("the file is not JSON: \(error)") }
        guard let list = root.objectValue?["units"]?.arrayValue else { throw ImportError("the file must be an object with a \"units\" array") }
        guard list.count <= 10_000 else { throw ImportError("at most 10,000 units in a file, not \(list.count)") }
        var units: [HandlingUnit] = [], problems: [ImportProblem] = []
        for (k, v) in list.enumerated() {
            func problem(_ reason: String) { problems.append(ImportProblem(feature: nil, label: "units[\(k)]", reason: reason)) }
            guard let o = v.objectValue else { problem("must be an object"); continue }
            for key in o.keys where !["kind", "area", "key", "name", "categories", "routes"].contains(key) {
                problem("unknown member \(key); a unit has kind, area, key, name, categories, routes")
            }
            let kind = o["kind"]?.stringValue.flatMap(HandlingUnit.Kind.init)
            if kind == nil { problem("kind must be committee or department") }
            let area = o["area"]?.stringValue ?? ""
            if !known.contains(area) { problem("area \(area.isEmpty ? "(missing)" : area) is no county, town or village of this database") }
            let key = o["key"]?.stringValue ?? ""
            if !(1...40).contains(key.utf8.count) || !key.utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }) {
                problem("key must be 1 to 40 of a-z, 0-9 and -, not \(key.isEmpty ? "(missing)" : key)")
            }
            let name = (o["name"]?.stringValue ?? "").trimmingCharacters(in: .whitespaces)
            if name.isEmpty || name.count > Limits.name { problem("name must be 1 to \(Limits.name) characters") }
            func categories(_ member: String) -> [Case.Category] {
                guard let a = o[member] else { return [] }
                guard let items = a.arrayValue else { problem("\(member) must be an array of categories"); return [] }
                return items.enumerated().compactMap { i, c in
                    if let c = c.stringValue.flatMap(Case.Category.init) { return c }
                    problem("\(member)[\(i)]: unknown category \(c.stringValue ?? "\(c)"); known: \(Case.Category.allCases.map(\.rawValue).joined(separator: ", "))")
                    return nil
                }
            }
            let takes = categories("categories"), routes = categories("routes")
            if o["categories"]?.arrayValue?.isEmpty == true { problem("categories is empty: a unit takes at least one") }
            if o["categories"] == nil { problem("categories is required") }
            for r in routes where !takes.contains(r) { problem("routes: \(r.rawValue) is not among the unit's categories") }
            if let kind { units.append(HandlingUnit(kind: kind, area: area, key: key, name: name, categories: takes, routes: routes)) }
        }
        var seen: [String: Int] = [:]
        for (k, u) in units.enumerated() {
            if let first = seen[u.code] { problems.append(ImportProblem(feature: nil, label: "units[\(k)]", reason: "\(u.code) is given twice (units[\(first)] too)")) }
            seen[u.code] = seen[u.code] ?? k
        }
        // One rule per area and category, counting the units already stored that the file keeps.
        let replaced = Set(units.map(\.code))
        var rule: [String: String] = [:]
        for u in existing where !replaced.contains(u.code) { for r in u.routes { rule["\(u.area)/\(r.rawValue)"] = u.code } }
        for u in units {
            for r in u.routes {
                let slot = "\(u.area)/\(r.rawValue)"
                if let other = rule[slot], other != u.code {
                    problems.append(ImportProblem(feature: nil, label: u.code, reason: "new \(r.rawValue) cases of \(u.area) go to \(other) already: one unit per area and category"))
                }
                rule[slot] = u.code
            }
        }
        guard problems.isEmpty else { throw ImportError(problems) }
        return units
    }
}

extension HandlingUnit {
    /// Categories as one text column keeps them: `labour,traffic`.
    public static func column(_ categories: [Case.Category]) -> String { categories.map(\.rawValue).joined(separator: ",") }
    public static func categories(column: String?) -> [Case.Category] {
        (column ?? "").split(separator: ",").compactMap { Case.Category(rawValue: String($0)) }
    }
}
