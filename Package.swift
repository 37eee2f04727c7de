// swift-tools-version: 6.1
import PackageDescription

// Dependencies flow one way: Geo ← Grid ← Cases ← {SpatiaLiteStore, PostGISStore, Server} ← wangge;
// Media (QR codes, images) stands alone, used by Server and wangge.
// Geo wraps GEOS and PROJ; the two store targets (and StoreSQL, which they share) hold every line of SQL.
// The server sees the store protocols only; `wangge` picks the backend from --db.
let package = Package(
    name: "Wangge",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "wangge", targets: ["wangge"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // The HTTP server; optional traits (swift-configuration, full Foundation) are not used.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0", traits: []),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.24.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.9.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.14.0"),
        // SHA-256 for stored tokens; AES-GCM and HMAC for the parties' numbers.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        // gzip for cached responses (zlib from Debian).
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CGEOS", path: "Sources/CGEOS", pkgConfig: "geos",
                       providers: [.apt(["libgeos-dev"])]),
        .systemLibrary(name: "CPROJ", path: "Sources/CPROJ", pkgConfig: "proj",
                       providers: [.apt(["libproj-dev"])]),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "Geo", dependencies: ["CGEOS", "CPROJ"]),
        // Printed and photographed things: QR codes (libqrencode) and images (libvips: SVG to PNG).
        .systemLibrary(name: "CQREncode", path: "Sources/CQREncode", pkgConfig: "libqrencode",
                       providers: [.apt(["libqrencode-dev"])]),
        .systemLibrary(name: "CVips", path: "Sources/CVips", pkgConfig: "vips",
                       providers: [.apt(["libvips-dev"])]),
        .target(name: "Media", dependencies: ["CQREncode", "CVips"]),
        .target(name: "Grid", dependencies: ["Geo"]),
        // AES-GCM and HMAC for the parties' numbers.
        .target(name: "Cases", dependencies: ["Grid", .product(name: "Crypto", package: "swift-crypto")]),
        // What the two stores' SQL shares: CQL2 filters as conditions.
        .target(name: "StoreSQL", dependencies: ["Geo"]),
        .target(name: "SpatiaLiteStore", dependencies: ["CSQLite", "Geo", "Grid", "Cases", "StoreSQL"]),
        // libpq from Debian: synchronous like the store protocols, LISTEN/NOTIFY on its socket.
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq",
                       providers: [.apt(["libpq-dev"])]),
        .target(name: "PostGISStore", dependencies: ["CLibPQ", "Geo", "Grid", "Cases", "StoreSQL"]),
        .target(name: "Server", dependencies: [
            "Cases", "Grid", "Geo", "Media",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CompressNIO", package: "compress-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
        ], resources: [.copy("Map/Assets")]),
        .executableTarget(name: "wangge", dependencies: [
            "Geo", "Grid", "Cases", "Server", "SpatiaLiteStore", "PostGISStore", "Media",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Helpers shared by the test targets (temporary directories, running programs).
        .target(name: "TestSupport", dependencies: ["Grid", "Cases", "SpatiaLiteStore", "PostGISStore"], path: "Tests/Support"),
        .testTarget(name: "GeoTests", dependencies: ["Geo", "TestSupport"]),
        .testTarget(name: "GridTests", dependencies: ["Grid", "Geo", "SpatiaLiteStore", "TestSupport"]),
        .testTarget(name: "CasesTests", dependencies: ["Cases", "Grid", "Geo", "SpatiaLiteStore", "TestSupport"]),
        .testTarget(name: "SpatiaLiteStoreTests", dependencies: ["SpatiaLiteStore", "Cases", "Grid", "Geo", "TestSupport"]),
        .testTarget(name: "PostGISStoreTests", dependencies: ["PostGISStore", "Cases", "Grid", "Geo", "TestSupport"]),
        .testTarget(name: "wanggeTests", dependencies: ["wangge", "Grid", "Geo", "SpatiaLiteStore", "TestSupport"]),
        .testTarget(name: "ServerTests", dependencies: ["Server", "Cases", "Grid", "Geo", "SpatiaLiteStore", "TestSupport"]),
    ]
)
