import Geo

/// A grid (网格): the smallest unit of social governance, 300–500 households walked daily by its
/// grid workers. `code` is its hierarchical grid code, the `grid_id` of every API and file.
public struct Grid: Hashable, Sendable {
    public var code: String
    public var name: String
    public var households: Int
    /// WGS84 lon/lat, one polygon (a grid is never multi-part).
    public var polygon: Polygon

    public init(code: String, name: String, households: Int, polygon: Polygon) {
        self.code = code
        self.name = name
        self.households = households
        self.polygon = polygon
    }

    /// The household band a grid should fall in (each grid 300–500 households).
    public static let householdBand = 300...500
}

/// An administrative boundary: the county (区县), a town or street (乡镇/街道), a village or community
/// (村/社区).
public struct Boundary: Hashable, Sendable {
    public enum Level: String, Sendable, CaseIterable {
        case county, town, village

        /// Accepts the English names and the Chinese level names used by Amap and the ministry.
        public init?(label: String) {
            switch label {
            case "county", "区县", "县", "区", "县级市": self = .county
            case "town", "street", "乡镇", "镇", "乡", "街道": self = .town
            case "village", "community", "村", "社区", "村/社区": self = .village
            default: return nil
            }
        }
    }

    public var code: String
    public var name: String
    public var level: Level
    public var parentCode: String?
    /// WGS84 lon/lat.
    public var area: [Polygon]

    public init(code: String, name: String, level: Level, parentCode: String? = nil, area: [Polygon]) {
        self.code = code
        self.name = name
        self.level = level
        self.parentCode = parentCode
        self.area = area
    }
}
