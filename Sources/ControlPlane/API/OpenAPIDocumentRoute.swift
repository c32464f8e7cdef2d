import Foundation
import Hummingbird

/// `GET /v1/openapi.yaml`: the API's contract (docs/openapi.yaml), read once from the bundle.
struct OpenAPIDocumentRoute: Sendable {
    /// nil only in a broken build whose bundle lacks the resource; then the route answers 500.
    private let document: ByteBuffer?

    init() {
        document = Bundle.module.url(forResource: "openapi", withExtension: "yaml")
            .flatMap { try? Data(contentsOf: $0) }
            .map { ByteBuffer(bytes: $0) }
    }

    func addRoute(to router: Router<APIRequestContext>) {
        router.get("/v1/openapi.yaml") { _, _ in
            guard let document else { throw ProblemError.internalError }
            return Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: document))
        }
    }
}
