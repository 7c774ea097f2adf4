import Foundation

/// Tests/VTPEvalTests/Fixtures/metrics, written by scripts/make_metric_fixtures.py.
enum MetricFixtures {
    static let directory = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("metrics")
    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }
    static func decode<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: url(name)))
    }
}
