import Foundation
import VTPTensor
@testable import VTPData

/// Tests/VTPDataTests/Fixtures/formats, written by scripts/make_format_fixtures.py: checkpoints and NumPy files
/// with every tensor's expected dtype, shape and bytes (expected.json).
enum FormatFixtures {
    struct Expected: Decodable {
        let dtype: String
        let shape: [Int]
        let hex: String
        var bytes: [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(hex.count / 2)
            var i = hex.startIndex
            while i < hex.endIndex {
                let j = hex.index(i, offsetBy: 2)
                out.append(UInt8(hex[i..<j], radix: 16)!)
                i = j
            }
            return out
        }
    }
    struct Checkpoint: Decodable {
        let names: [String]
        let tensors: [String: Expected]
        let skipped: [[String]]
    }

    static let directory = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("formats")
    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }
    static func bytes(_ name: String) throws -> Data { try Data(contentsOf: url(name)) }

    static let json: [String: Any] = {
        let data = try! Data(contentsOf: url("expected.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()

    static func section<T: Decodable>(_ key: String, as type: T.Type) throws -> T {
        let raw = try JSONSerialization.data(withJSONObject: json[key]!)
        return try JSONDecoder().decode(T.self, from: raw)
    }

    /// The error a read throws, or nil when it succeeds.
    static func failure(_ body: () throws -> Void) -> Error? {
        do { try body(); return nil } catch { return error }
    }
}
