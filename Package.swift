// swift-tools-version: 6.1
import PackageDescription

// Dependencies flow one way: Geo ← Grid ← Cases ← Server ← wangge.
// Only Geo touches the C libraries; the C shims are small system-library targets.
let package = Package(
    name: "Wangge",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "wangge", targets: ["wangge"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CGEOS", path: "Sources/CGEOS", pkgConfig: "geos",
                       providers: [.apt(["libgeos-dev"])]),
        .systemLibrary(name: "CPROJ", path: "Sources/CPROJ", pkgConfig: "proj",
                       providers: [.apt(["libproj-dev"])]),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "Geo", dependencies: ["CGEOS", "CPROJ", "CSQLite"]),
        .target(name: "Grid", dependencies: ["Geo"]),
        .target(name: "Cases", dependencies: ["Grid"]),
        .target(name: "Server", dependencies: ["Cases"]),
        .executableTarget(name: "wangge", dependencies: [
            "Geo", "Grid", "Cases", "Server",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Helpers shared by the test targets (temporary directories, running programs).
        .target(name: "TestSupport", path: "Tests/Support"),
        .testTarget(name: "GeoTests", dependencies: ["Geo", "TestSupport"]),
        .testTarget(name: "GridTests", dependencies: ["Grid", "Geo", "TestSupport"]),
        .testTarget(name: "CasesTests", dependencies: ["Cases", "Grid", "Geo", "TestSupport"]),
        .testTarget(name: "wanggeTests", dependencies: ["wangge", "Grid", "Geo", "TestSupport"]),
    ]
)
