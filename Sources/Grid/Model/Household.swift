import Geo

/// An address point (门牌) with the households living there: one for a farmhouse, dozens for an
/// apartment block. Grids count their households from these by location.
public struct Household: Hashable, Sendable {
    public var id: Int64
    public var address: String
    public var households: Int
    public var population: Int
    public var position: Position
    /// The grid it lies in, kept up to date on publish.
    public var gridCode: String?

    public init(id: Int64, address: String, households: Int, population: Int, position: Position, gridCode: String? = nil) {
        self.id = id
        self.address = address
        self.households = households
        self.population = population
        self.position = position
        self.gridCode = gridCode
    }
}

/// A camera of the county's networks, located in a grid so its alerts land on that grid's worker.
public struct Camera: Hashable, Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        /// 天网: city public-security cameras.
        case tianwang
        /// 雪亮: the rural "sharp eyes" network.
        case xueliang
        case faceRecognition = "face_recognition"
        case hospital, school
        case forestFire = "forest_fire"
        case shipping
        case floodLevel = "flood_level"
        /// Cameras of businesses and estates connected to the platform.
        case social
    }

    public var id: String
    public var kind: Kind
    public var name: String
    public var position: Position
    public var gridCode: String?

    public init(id: String, kind: Kind, name: String, position: Position, gridCode: String? = nil) {
        self.id = id
        self.kind = kind
        self.name = name
        self.position = position
        self.gridCode = gridCode
    }
}
