import Geo
import Grid

/// A place whose residents report by scanning its code (扫码反映): a village or community
/// (12-digit code) or a grid (15 digits). The printed card names it; the code's link opens the
/// report page with the place filled in.
public struct ReportUnit: Sendable, Hashable {
    public let code: String
    /// The name under the code: the town, and the village or the grid.
    public let title: String
    public let subtitle: String

    public init?(code: String, in territory: Territory) {
        switch code.utf8.count {
        case 12:
            guard territory.unitNames[code: code] != nil else { return nil }
            self.init(village: code, territory.unitNames)
        case 15:
            guard let grid = territory.layer.grids.first(where: { $0.code == code }) else { return nil }
            self.init(grid: grid, territory.unitNames)
        default: return nil
        }
    }

    private init(village code: String, _ names: UnitNames) {
        self.code = code
        title = [names[code: String(code.prefix(9))], names[code: code]].compactMap { $0 }.joined(separator: " ")
        subtitle = Self.subtitle(code)
    }

    /// A grid's name already says its village (琅兴社区第1网格): the town before it.
    private init(grid: Grid, _ names: UnitNames) {
        code = grid.code
        title = [names[code: String(grid.code.prefix(9))], grid.name].compactMap { $0 }.joined(separator: " ")
        subtitle = Self.subtitle(grid.code)
    }

    private static func subtitle(_ code: String) -> String { "扫码反映矛盾纠纷 · 单位码 \(code)" }

    /// Every village and community with grids (and a name), then every grid, by code: one pass.
    public static func all(in territory: Territory) -> [ReportUnit] {
        let names = territory.unitNames
        let grids = territory.layer.grids.filter { $0.code.utf8.count == 15 }.sorted { $0.code < $1.code }
        let villages = Set(grids.compactMap(\.villageCode)).sorted().filter { names[code: $0] != nil }
        return villages.map { ReportUnit(village: $0, names) } + grids.map { ReportUnit(grid: $0, names) }
    }

    /// Where a report by this code is placed when the phone gives no position: a point inside the
    /// grid (GEOS's point on surface), or inside the village's first grid.
    public func place(in territory: Territory) throws -> Position {
        let grid = code.utf8.count == 15 ? territory.layer.grids.first { $0.code == code }
            : territory.layer.grids.filter { $0.code.hasPrefix(code) }.min { $0.code < $1.code }
        guard let grid else { throw CaseError(.notFound, "no grid in unit \(code)") }
        guard case .point(let p) = try GEOSContext().shape(.polygon(grid.polygon)).pointOnSurface().geometry else {
            throw CaseError(.invalid, "grid \(grid.code) has no inside")
        }
        return p
    }

    /// The link the code holds: the report page at `base` with this unit.
    public func reportURL(base: String) -> String { "\(base)/report?unit=\(code)" }
}
