import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import Shared
import TestSupport

@testable import ControlPlane

/// `withAPI` over real sockets (`.live`), for what needs a peer address or a slow client.
func withLiveAPI(
    configure: (inout APIConfiguration) -> Void = { _ in },
    _ body: @Sendable (APIClient, Int, Database) async throws -> Void
) async throws {
    try await withTestDatabase { database, _ in
        var configuration = APIConfiguration(
            signup: .open, passwordHasher: fastPasswordHasher, authenticationRate: .init(burst: 10_000, refillInterval: 1))
        configure(&configuration)
        let app = Application(
            router: buildRouter(database: database, metrics: PrometheusCollectorRegistry(), configuration: configuration),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            guard let port = client.port else { throw TestFailure("the live test server has no port") }
            try await body(APIClient(client: client), port, database)
        }
    }
}
