import Foundation

/// An area (辖区) a centre answers for: a county (6-digit code), a town (9) or a village or
/// community (12). Every grid, household, camera and unit below it has a code that starts with
/// its code, which is all that containment needs.
public struct Area: Sendable, Hashable, CustomStringConvertible {
    public let code: String
    /// nil unless `code` is 6, 9 or 12 digits.
    public init?(code: String) {
        guard [6, 9, 12].contains(code.utf8.count), code.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        self.code = code
    }
    public var description: String { code }

    /// Whether a grid, boundary or unit code is in the area (the area's own code included).
    public func contains(code other: String) -> Bool { other.hasPrefix(code) }
}

/// A change reaching outside the caller's area (a town planner's plan moving another town's grid).
public struct OutsideArea: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }

    /// Throws unless every code is in `area` (nil: no limit).
    public static func check(_ codes: some Sequence<String>, in area: Area?, _ what: String) throws(OutsideArea) {
        guard let area else { return }
        let outside = codes.filter { !area.contains(code: $0) }
        guard outside.isEmpty else {
            throw OutsideArea("\(what) reaches \(outside.sorted().prefix(5).joined(separator: ", ")), outside your area \(area)")
        }
    }
}
