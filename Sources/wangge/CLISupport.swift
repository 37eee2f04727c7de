import ArgumentParser
import Foundation
import Cases
import Geo
import Grid
import PostGISStore
import SpatiaLiteStore

/// The input coordinate systems the CLI accepts.
enum InputCRS: String, ExpressibleByArgument, CaseIterable {
    case wgs84, gcj02
    var crs: CRS { self == .wgs84 ? .crs84 : .gcj02 }
}

/// Runs a command's body; any failure is printed as `wangge <command>: <reason>` with exit status 1
/// (argument errors keep ArgumentParser's own message and usage).
func reporting(_ command: String, _ body: () throws -> Void) throws {
    do { try body() } catch let e as ExitCode { throw e } catch let e as ValidationError { throw e } catch { throw fail(command, error) }
}

/// Prints a failure as `wangge <command>: <reason>` and exits non-zero.
func fail(_ command: String, _ error: Any) -> ExitCode {
    FileHandle.standardError.write(Data("wangge \(command): \(error)\n".utf8))
    return ExitCode(1)
}

func readFile(_ path: String) throws -> [UInt8] {
    guard let d = FileManager.default.contents(atPath: path) else { throw StoreError(.notFound, "cannot read \(path)") }
    return [UInt8](d)
}

/// A time given on the command line (ISO 8601, e.g. 2026-11-23T10:00:00+08:00); nil when not given.
func time(_ text: String?, option: String) throws -> Date? {
    guard let text else { return nil }
    guard let d = ChinaTime.date(text) ?? ISO8601DateFormatter().date(from: text) else {
        throw ValidationError("\(option) \(text) is not an ISO 8601 time like 2026-11-23T10:00:00+08:00")
    }
    return d
}

func printOut(_ s: String) {
    FileHandle.standardOutput.write(Data((s.hasSuffix("\n") ? s : s + "\n").utf8))
}

/// A geometry given on the command line: inline GeoJSON (starting with `{`) or a file holding a
/// geometry, a Feature, or a FeatureCollection with exactly one feature; converted to WGS84.
func geometryArgument(_ text: String, crs: InputCRS, what: String) throws -> Geometry {
    let bytes = text.hasPrefix("{") ? Array(text.utf8) : try readFile(text)
    let doc: GeoJSONDocument
    do { doc = try GeoJSONReader().read(bytes) } catch { throw ValidationError("\(what): \(error)") }
    let fs = doc.features
    guard fs.count == 1, let g = fs[0].geometry else { throw ValidationError("\(what): give exactly one geometry") }
    guard crs == .gcj02 else { return g }
    do { return try CoordinateConverter(from: .gcj02, to: .crs84).convert(g) } catch { throw ValidationError("\(what): \(error)") }
}

/// The grid layer as an RFC 7946 FeatureCollection, `grid_id` = the grid code, with the properties
/// the server's `grids` collection has.
func gridsGeoJSON(_ grids: [Grid], names: [String: String], crs: InputCRS = .wgs84, precision: Int? = 7) throws -> String {
    let converter = crs == .gcj02 ? try CoordinateConverter(from: .crs84, to: .gcj02) : nil
    let features = try grids.map { g -> Feature in
        let geometry = try converter.map { try $0.convert(Geometry.polygon(g.polygon)) } ?? .polygon(g.polygon)
        return Feature(id: .string(g.code), geometry: geometry, properties: GridView(g, names: names).properties)
    }
    return GeoJSONWriter(precision: precision).string(.featureCollection(FeatureCollection(features)))
}

func json(_ v: JSONValue) -> String {
    var w = JSONWriter()
    w.value(v)
    return w.text
}

/// A response shape, as the server writes it.
func json<T: Encodable>(_ view: T) throws -> String { json(try JSONValueEncoder().encode(view)) }


/// The backend `--db` names: `postgresql://…` is PostGIS, anything else a SpatiaLite file path.
func backend(_ db: String) throws -> any StoreBackend {
    PostGISBackend.accepts(db) ? PostGISBackend(url: db) : SpatiaLiteBackend(path: db)
}

/// A command's connection to an existing, up-to-date database.
func connect(_ db: String) throws -> any StoreConnection { try backend(db).connect(.command) }
