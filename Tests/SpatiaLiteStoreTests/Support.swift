import Foundation
@_exported import TestSupport
import Geo
import Cases
import Grid
@testable import SpatiaLiteStore

/// A small demo county (a tenth of the households, 8 towns), built once.
let tinyDemo = tinyDemoCounty(seed: 2, towns: 8)

/// A fresh database with the tiny county, a dispatcher over it, and the connection's database.
func countyDesk() throws -> (TempDir, Dispatcher, Database) {
    let dir = TempDir()
    let d = try countyDesk(tinyDemo, in: dir)
    return (dir, d, (d.store as! SpatiaLiteConnection).database)
}
