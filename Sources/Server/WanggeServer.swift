import Cases
import Foundation
import Geo
import Grid
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import Prometheus

/// The Wangge server: OGC API – Features for map clients, the dispatch and planning API, the live
/// feed and access control, assembled in one place.
public enum WanggeServer {
    /// One metrics registry per process (swift-metrics is bootstrapped once).
    static let registry: PrometheusCollectorRegistry = {
        let r = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: r))
        return r
    }()

    /// The application, ready to run. `onRunning` gets the bound port (useful with port 0).
    public static func application(_ settings: ServerSettings, onRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        async throws -> some ApplicationProtocol {
        var logger = Logger(label: "wangge")
        logger.logLevel = settings.logLevel
        let state = try await ServerState(settings: settings, logger: logger)
        let registry = Self.registry
        // HEAD for every GET: GDAL's /vsicurl/ asks HEAD before it reads a tile.
        let router = Router(context: WanggeContext.self, options: .autoGenerateHeadEndpoints)
        router.middlewares.add(ProblemMiddleware())
        router.middlewares.add(MetricsMiddleware())
        // Method and path only, never headers (tokens) or bodies (personal data).
        router.middlewares.add(LogRequestsMiddleware(.info, includeHeaders: .none))
        router.middlewares.add(AuthMiddleware(readers: state.readers, cache: state.tokenCache, failures: state.failures))

        router.get("/healthz") { _, _ in
            let version = try await state.readers.read { try $0.grids.currentVersion() }
            return try JSONResponse.make(HealthView(status: "ok", layer_version: version))
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        FeaturesController(state: state).register(on: router)
        CasesController(state: state).register(on: router)
        AnalysisController(state: state).register(on: router)
        FieldController(state: state).register(on: router)
        PlanningController(state: state).register(on: router)
        TilesController(state: state).register(on: router)
        Open311Controller(state: state).register(on: router)
        ResidentsController(state: state).register(on: router)
        Session(state: state).register(on: router)
        let map = try MapController(state: state)
        if map.leafletMissing {
            logger.warning("Leaflet is not in \(settings.leafletDirectory): /map will not draw; install libjs-leaflet and libjs-leaflet.markercluster")
        }
        map.register(on: router)

        let connections = ConnectionCounts(limit: settings.connectionsPerClient)
        return Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [ConnectionLimit(connections), RequestHeadTimeout(Self.time(settings.headTimeout))],
                                                idleTimeout: Self.time(settings.idleTimeout))),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "wangge"),
            onServerRunning: { channel in
                state.tiles.clearDisk()
                await onRunning(channel.localAddress?.port ?? settings.port)
            },
            logger: logger)
    }

    /// NIO's time from Swift's.
    static func time(_ d: Duration) -> TimeAmount {
        .nanoseconds(d.components.seconds &* 1_000_000_000 &+ d.components.attoseconds / 1_000_000_000)
    }
}

/// `/healthz`: the database answers, and the live layer's version.
struct HealthView: DocumentedShape, Sendable {
    var status: String
    var layer_version: Int
    static var examples: [HealthView] { [HealthView(status: "ok", layer_version: 1)] }
}
