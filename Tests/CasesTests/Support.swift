import Foundation
@_exported import TestSupport
@_exported import SpatiaLiteStore
import Geo
@testable import Cases
@testable import Grid

/// A small demo county (a tenth of the households, 8 towns), built once.
let tinyDemo = tinyDemoCounty(seed: 2, towns: 8)

/// A fresh database of `kind` with the tiny county and a dispatcher over it.
func countyDesk(_ kind: StoreKind) throws -> (TempDir, any GridStore, Dispatcher) {
    let dir = TempDir()
    let d = try countyDesk(tinyDemo, in: dir, kind)
    return (dir, d.grids, d)
}
