import Foundation
import Geo
import Testing
@testable import Grid

/// The grid a camera looks at, on a real tiling (the small demo county), against GEOS.
@Suite struct CameraViewTests {
    let layer = GridLayer(grids: demoGrids)

    /// GEOS's answer: the grid with the largest intersection area, the pole's on a tie.
    func geosViewedGrid(_ c: Camera, _ sector: ViewSector, _ ctx: GEOSContext) throws -> (code: String?, nearTie: Bool) {
        let pole = layer.grid(at: c.position)
        let s = try ctx.shape(.polygon(sector.polygon))
        var areas: [(String, Double)] = []
        for g in layer.grids {
            let a = try ctx.shape(.polygon(g.polygon)).intersection(s).planarArea
            if a > 0 { areas.append((g.code, a)) }
        }
        areas.sort { $0.1 > $1.1 }
        guard let top = areas.first else { return (pole?.code, false) }
        let nearTie = areas.count > 1 && areas[1].1 > top.1 * (1 - 1e-6)
        let poleArea = areas.first { $0.0 == pole?.code }?.1 ?? 0
        return (poleArea >= top.1 * (1 - 1e-9) ? pole?.code : top.0, nearTie)
    }

    @Test func routesToTheGridHoldingMostOfTheViewAsGEOSMeasuresIt() throws {
        let ctx = GEOSContext()
        var rng = SeededRandom(seed: 41)
        var checked = 0, across = 0
        let cameras = smallDemo.cameras.filter { $0.view != nil && $0.gridCode != nil }
        #expect(cameras.count > 1000)
        for k in 0..<600 {
            let c = cameras[(k * 7919) % cameras.count]
            // The camera's own view, then turned as a PTZ camera would be.
            for bearing in [nil, rng.unit() * 360] {
                var sector = c.view!.sector(at: c.position)
                if let bearing { sector.azimuth = bearing }
                let (expected, nearTie) = try geosViewedGrid(c, sector, ctx)
                if nearTie { continue }
                let ours = layer.viewedGrid(of: c, bearing: bearing)?.code
                #expect(ours == expected, "\(c.id) bearing \(bearing ?? -1)")
                checked += 1
                if ours != c.gridCode { across += 1 }
            }
        }
        #expect(checked > 1000)
        // On streets that are grid edges, many cameras look into the grid across the street.
        #expect(across > 100, "\(across)")
    }

    @Test func aTieGoesToThePolesGridAndAPoleOnlyCameraToItsPole() throws {
        let two = GridLayer(grids: [
            Grid(code: "W", name: "w", households: 400, polygon: square(106.0, 30.0, 0.01)),
            Grid(code: "E", name: "e", households: 400, polygon: square(106.01, 30.0, 0.01)),
        ])
        // On the shared edge x = 106.01 looking north along it: half in each grid.
        let edge = Position(106.01, 30.005)
        var c = Camera(id: "c", kind: .tianwang, name: "c", position: edge, view: try Camera.View(azimuth: 0, fov: 60, rangeM: 100))
        let pole = two.grid(at: edge)?.code
        #expect(two.viewedGrid(of: c)?.code == pole)
        // Turned east or west, it sees one grid.
        #expect(two.viewedGrid(of: c, bearing: 90)?.code == "E")
        #expect(two.viewedGrid(of: c, bearing: 270)?.code == "W")
        c.view = nil
        #expect(two.viewedGrid(of: c, bearing: 90)?.code == pole)
    }

    @Test func viewsOutOfRangeAreRefusedSayingWhich() {
        for (a, f, r, word) in [(360.0, 60.0, 100.0, "azimuth"), (-1, 60, 100, "azimuth"), (0, 0, 100, "fov"), (0, 361, 100, "fov"),
                                (0, 60, 0, "range_m"), (0, 60, 2000.5, "range_m"), (.nan, 60, 100, "azimuth")] {
            #expect { _ = try Camera.View(azimuth: a, fov: f, rangeM: r) } throws: { "\($0)".hasPrefix(word) }
        }
        #expect((try? Camera.View(azimuth: 359.9, fov: 360, rangeM: 2000)) != nil)
    }
}
