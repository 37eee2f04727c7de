import Geo

/// The counties a database holds (one for a county's centre, several for a prefecture's) and which
/// one a place is in. A value, built from the county boundaries.
public struct Counties: Sendable {
    /// Codes in order; the first takes what falls in no county.
    public let codes: [String]
    private let known: Set<String>
    private let countyOfPolygon: [Int]
    private let locator: PointLocator

    public init(boundaries: [Boundary]) {
        let counties = boundaries.filter { $0.level == .county }.sorted { $0.code < $1.code }
        codes = counties.map(\.code)
        known = Set(codes)
        countyOfPolygon = counties.indices.flatMap { k in counties[k].area.map { _ in k } }
        locator = PointLocator(polygons: counties.flatMap(\.area))
    }

    /// The county covering a place, if any.
    public func code(at p: Position) -> String? {
        locator.locate(p.lon, p.lat).map { codes[countyOfPolygon[$0]] }
    }

    /// The county of a grid (or town, village) code: its first six digits, when that is a county here.
    public func code(of unitCode: String?) -> String? {
        guard let u = unitCode, u.count >= 6, case let c = String(u.prefix(6)), known.contains(c) else { return nil }
        return c
    }

    /// A place's county by its grid code, else by where it is.
    public func code(grid: String?, at p: Position?) -> String? {
        code(of: grid) ?? p.flatMap(code(at:))
    }
}
