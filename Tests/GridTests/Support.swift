import Foundation
@_exported import TestSupport
@_exported import SpatiaLiteStore
import Geo
@testable import Grid

/// The real Qu County boundary, in WGS84.
func quCounty() throws -> Boundary {
    try BoundaryImporter(crs: .gcj02).boundaries(from: try quCountyBytes())[0]
}

/// A small demo county (a fifth of the households), built once for the suites that need it.
let smallDemo: DemoCounty.Result = {
    var demo = DemoCounty(county: try! quCounty(), seed: 1).scaled(by: 0.2)
    demo.townCount = 12
    return try! demo.build()
}()
let demoGrids: [Grid] = smallDemo.grids

func square(_ x: Double, _ y: Double, _ s: Double) -> Polygon {
    Polygon([[.init(x, y), .init(x + s, y), .init(x + s, y + s), .init(x, y + s), .init(x, y)]])
}

func gridsGeoJSON(_ grids: [Grid]) -> [UInt8] {
    let fc = FeatureCollection(grids.map { g in
        Feature(geometry: .polygon(g.polygon),
                properties: JSONObject([("grid_id", .string(g.code)), ("name", .string(g.name)), ("households", .integer(Int64(g.households)))]))
    })
    return Array(GeoJSONWriter(precision: nil).string(.featureCollection(fc)).utf8)
}

/// A fresh database holding the small demo county (version 1), for tests that change it.
func demoStore() throws -> (TempDir, any GridStore, GridPlanning) {
    let dir = TempDir()
    let store = try newDatabase(dir.path("demo.sqlite")).grids
    let planning = GridPlanning(store: store)
    _ = try planning.install(smallDemo, county: try quCounty(), note: "small demo")
    return (dir, store, planning)
}
