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
        let names = territory.unitNames
        switch code.utf8.count {
        case 12:
            guard let village = names[code: code] else { return nil }
            title = [names[code: String(code.prefix(9))], village].compactMap { $0 }.joined(separator: " ")
        case 15:
            guard let grid = territory.layer.grids.first(where: { $0.code == code }) else { return nil }
            // A grid's name already says its village (琅兴社区第1网格): the town before it.
            title = [names[code: String(code.prefix(9))], grid.name].compactMap { $0 }.joined(separator: " ")
        default: return nil
        }
        self.code = code
        subtitle = "扫码反映矛盾纠纷 · 单位码 \(code)"
    }

    /// Every village and community with grids, then every grid, by code.
    public static func all(in territory: Territory) -> [ReportUnit] {
        let grids = territory.layer.grids.map(\.code).sorted()
        let villages = Set(grids.filter { $0.utf8.count == 15 }.map { String($0.prefix(12)) }).sorted()
        return (villages + grids).compactMap { ReportUnit(code: $0, in: territory) }
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
