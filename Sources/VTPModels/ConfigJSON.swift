import Foundation
import VTPTensor

/// Reading and writing the `config.json` of a model folder (`VTPConfig`, `LightningDiTConfig`): decoding errors
/// become `VTPError.unreadableConfig` naming the file and the field; writing is pretty, key-sorted and atomic.
enum ConfigJSON {
    static func read<T: Decodable>(_ type: T.Type, from url: URL, what: String) throws -> T {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw VTPError.missingFile(url.path) }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let DecodingError.typeMismatch(_, ctx), let DecodingError.valueNotFound(_, ctx) {
            guard !ctx.codingPath.isEmpty else {
                throw VTPError.unreadableConfig(path: url.path, reason: "it must hold a JSON object of \(what) config fields ({\"field\": value, …})")
            }
            let field = ctx.codingPath.map(\.stringValue).joined(separator: ".")
            throw VTPError.unreadableConfig(path: url.path, reason: "field '\(field)': \(ctx.debugDescription)")
        } catch DecodingError.dataCorrupted(let ctx) {
            throw VTPError.unreadableConfig(path: url.path, reason: "not valid JSON (\(ctx.underlyingError.map { "\($0)" } ?? ctx.debugDescription))")
        } catch let e as VTPError {
            throw e
        } catch {
            throw VTPError.unreadableConfig(path: url.path, reason: "not a \(what) config (\(error))")
        }
    }

    static func write<T: Encodable>(_ value: T, to url: URL) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try enc.encode(value), to: url)
    }
}
