import Foundation
@_exported import TestSupport
import Geo
@testable import Cases
@testable import Grid

/// A small demo county (a tenth of the households, 8 towns), built once.
let tinyDemo = tinyDemoCounty(seed: 2, towns: 8)

/// A fresh database with the tiny county and a dispatcher over it.
func countyDesk() throws -> (TempDir, SpatiaLiteGridStore, Dispatcher) {
    let dir = TempDir()
    let store = try SpatiaLiteGridStore(path: dir.path("c.sqlite"))
    _ = try GridPlanning(store: store).install(tinyDemo.result, county: tinyDemo.county, note: "tiny")
    return (dir, store, try Dispatcher(gridStore: store))
}

/// Monday 2026-11-23 at the given hour, China time.
func monday(_ hour: Int) -> Date {
    SpatiaLiteCaseStore.date(String(format: "2026-11-23T%02d:00:00+08:00", hour))!
}

let clerk = Actor("clerk", source: "test")
