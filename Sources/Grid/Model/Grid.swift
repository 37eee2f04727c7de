import Geo

/// A grid (网格): the smallest unit of social governance, 300–500 households walked daily by its
/// grid workers. `code` is its hierarchical grid code (county adcode + 3-digit town + 3-digit
/// village + 3-digit grid), the `grid_id` of every API and file.
public struct Grid: Hashable, Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case urban, rural
        /// 专属网格: an estate, market or industrial park with its own grid.
        case dedicated
    }

    public var code: String
    public var name: String
    public var kind: Kind
    /// Households counted by spatial join of the household layer (or as imported when there is
    /// no household layer).
    public var households: Int
    /// A planner's explicit figure, shown as such; wins over the count when set.
    public var householdsOverride: Int?
    public var population: Int
    /// WGS84 lon/lat, one polygon (a grid is never multi-part).
    public var polygon: Polygon

    public init(code: String, name: String, households: Int, polygon: Polygon, kind: Kind = .rural,
                population: Int = 0, householdsOverride: Int? = nil) {
        self.code = code
        self.name = name
        self.households = households
        self.polygon = polygon
        self.kind = kind
        self.population = population
        self.householdsOverride = householdsOverride
    }

    /// The household figure that counts for the band: the override when set, else the count.
    public var effectiveHouseholds: Int { householdsOverride ?? households }

    /// The village (村/社区) and town (乡镇/街道) codes this grid's code names, when it is a
    /// 15-digit hierarchical code.
    public var villageCode: String? { code.count == 15 ? String(code.prefix(12)) : nil }
    public var townCode: String? { code.count == 15 ? String(code.prefix(9)) : nil }

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
