import Foundation
import Testing
@testable import VTPTensor

/// One hand-made file per validation rule; each must be rejected with its specific error, never a crash.
@Suite struct SafeTensorsMalformedTests {
    /// Writes `header` (length-prefixed unless `rawLength` overrides the length) followed by `data`, opens it,
    /// and returns the error (nil when the file opened).
    private func open(header: String? = nil, headerBytes: [UInt8]? = nil, rawLength: UInt64? = nil, data: [UInt8] = [],
                      rawFile: [UInt8]? = nil) throws -> (error: SafeTensorsError?, path: String) {
        try stWithTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("bad.safetensors")
            var bytes: [UInt8]
            if let rawFile {
                bytes = rawFile
            } else {
                let h = headerBytes ?? Array(header!.utf8)
                bytes = []
                withUnsafeBytes(of: (rawLength ?? UInt64(h.count)).littleEndian) { bytes.append(contentsOf: $0) }
                bytes += h + data
            }
            try Data(bytes).write(to: url)
            do {
                _ = try SafeTensorsFile(url: url)
                return (nil, url.path)
            } catch let e as SafeTensorsError {
                return (e, url.path)
            }
        }
    }

    private func expectRejected(_ result: (error: SafeTensorsError?, path: String), _ expected: (String) -> SafeTensorsError,
                                mentioning tensor: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.error == expected(result.path), sourceLocation: sourceLocation)
        let text = result.error?.description ?? ""
        #expect(text.hasPrefix(result.path + ":"), "message names the file: \(text)", sourceLocation: sourceLocation)
        if let tensor { #expect(text.contains("'\(tensor)'"), "message names the tensor: \(text)", sourceLocation: sourceLocation) }
    }

    private let f32x2 = #"{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#
    private let eight = [UInt8](repeating: 0, count: 8)

    @Test func validFilesWithPaddingAndWhitespaceOpen() throws {
        #expect(try open(header: #"{"a":\#(f32x2)}"#, data: eight).error == nil)
        #expect(try open(header: " \n{\"a\" : \(f32x2) }\t\r\n     ", data: eight).error == nil)
        #expect(try open(header: "{}").error == nil)
        #expect(try open(header: #"{"__metadata__":null}"#).error == nil)
        #expect(try open(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":[1]}}"#, data: eight).error == nil)
        // Zero-size tensors may sit anywhere along the contiguous layout.
        let h = #"{"z":{"dtype":"I64","shape":[0],"data_offsets":[8,8]},"a":\#(f32x2),"y":{"dtype":"U8","shape":[3,0],"data_offsets":[0,0]}}"#
        #expect(try open(header: h, data: eight).error == nil)
    }

    @Test func framing() throws {
        expectRejected(try open(rawFile: []), { .fileTooSmall(file: $0, size: 0) })
        expectRejected(try open(rawFile: [1, 0, 0, 0, 0, 0, 0]), { .fileTooSmall(file: $0, size: 7) })
        expectRejected(try open(header: "", rawLength: 0, data: Array("{}".utf8)), { .headerLengthZero(file: $0) })
        expectRejected(try open(header: "{}", rawLength: 200_000_000), {
            .headerTooLarge(file: $0, length: 200_000_000, limit: 100_000_000)
        })
        expectRejected(try open(header: "{}", rawLength: UInt64.max), {
            .headerTooLarge(file: $0, length: UInt64.max, limit: 100_000_000)
        })
        expectRejected(try open(header: "{}", rawLength: 11), { .headerExceedsFile(file: $0, length: 11, fileSize: 10) })
        expectRejected(try open(headerBytes: Array("{\"a\u{e9}\":1}".utf8).map { $0 == 0xC3 ? 0xFF : $0 }), { .headerNotUTF8(file: $0) })
        expectRejected(try open(headerBytes: [0x7B, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x7D]), { .headerNotUTF8(file: $0) })  // surrogate
    }

    @Test func notJSONOrNotAnObject() throws {
        for bad in ["{", #"{"a":"#, "{} x", "{'a':1}", #"{"a":tru}"#, #"{"a":01}"#, #"{"a":1,}"#, "{\"a\u{1}\":1}",
                    #"{"\ud800":1}"#, #"{"a":"\x"}"#, "{\"a\":[" + String(repeating: "[", count: 100_000) + "}", "{}\u{0}"] {
            let r = try open(header: bad)
            guard case .headerNotJSON(let file, let reason)? = r.error else {
                Issue.record("\(bad.prefix(20).debugDescription): expected headerNotJSON, got \(String(describing: r.error))")
                continue
            }
            #expect(file == r.path && reason.contains("at byte"))
        }
        for notObject in ["[]", "\"s\"", "3", "null", "true"] {
            expectRejected(try open(header: notObject), { .headerNotObject(file: $0) })
        }
    }

    @Test func entryFields() throws {
        expectRejected(try open(header: #"{"a":[1]}"#), { .tensorEntryNotObject(file: $0, tensor: "a") }, mentioning: "a")
        for field in ["dtype", "shape", "data_offsets"] {
            let members = [#""dtype":"F32""#, #""shape":[2]"#, #""data_offsets":[0,8]"#].filter { !$0.hasPrefix("\"\(field)\"") }
            expectRejected(try open(header: "{\"a\":{\(members.joined(separator: ","))}}", data: eight),
                           { .missingField(file: $0, tensor: "a", field: field) }, mentioning: "a")
        }
        let cases: [(String, String, String)] = [
            (#"{"dtype":5,"shape":[2],"data_offsets":[0,8]}"#, "dtype", "a string"),
            (#"{"dtype":"F32","shape":"2","data_offsets":[0,8]}"#, "shape", "an array of integers"),
            (#"{"dtype":"F32","shape":[2],"data_offsets":{"b":0}}"#, "data_offsets", "an array of two integers"),
            (#"{"dtype":"F32","shape":[2],"data_offsets":[8]}"#, "data_offsets", "an array of two integers"),
            (#"{"dtype":"F32","shape":[2],"data_offsets":[0,8,8]}"#, "data_offsets", "an array of two integers"),
            (#"{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}"#, "dtype", "given once"),
        ]
        for (entry, field, expected) in cases {
            expectRejected(try open(header: "{\"a\":\(entry)}", data: eight),
                           { .wrongFieldType(file: $0, tensor: "a", field: field, expected: expected) }, mentioning: "a")
        }
        for dtype in ["F8_E4M3", "f32", "Q4", ""] {
            expectRejected(try open(header: "{\"t\":{\"dtype\":\"\(dtype)\",\"shape\":[2],\"data_offsets\":[0,8]}}", data: eight),
                           { .unknownDType(file: $0, tensor: "t", dtype: dtype) }, mentioning: "t")
        }
    }

    @Test func shapesAndSizes() throws {
        for dim in ["-1", "2.0", "1e1", "\"2\"", "null", "-0", "[2]"] {
            expectRejected(try open(header: "{\"s\":{\"dtype\":\"U8\",\"shape\":[1,\(dim)],\"data_offsets\":[0,2]}}", data: [0, 0]),
                           { .invalidDimension(file: $0, tensor: "s", dimension: dim) }, mentioning: "s")
        }
        expectRejected(try open(header: #"{"s":{"dtype":"U8","shape":[1,99999999999999999999],"data_offsets":[0,2]}}"#, data: [0, 0]),
                       { .shapeOverflow(file: $0, tensor: "s", shape: [1]) }, mentioning: "s")
        let big = 1 << 40
        expectRejected(try open(header: "{\"s\":{\"dtype\":\"F32\",\"shape\":[\(big),\(big)],\"data_offsets\":[0,8]}}", data: eight),
                       { .shapeOverflow(file: $0, tensor: "s", shape: [big, big]) }, mentioning: "s")
        expectRejected(try open(header: "{\"s\":{\"dtype\":\"I64\",\"shape\":[\(1 << 60)],\"data_offsets\":[0,8]}}", data: eight),
                       { .shapeOverflow(file: $0, tensor: "s", shape: [1 << 60]) }, mentioning: "s")
        expectRejected(try open(header: #"{"s":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: eight),
                       { .sizeMismatch(file: $0, tensor: "s", dtype: .f32, shape: [3], expectedBytes: 12, actualBytes: 8) },
                       mentioning: "s")
        expectRejected(try open(header: #"{"s":{"dtype":"BF16","shape":[],"data_offsets":[0,8]}}"#, data: eight),
                       { .sizeMismatch(file: $0, tensor: "s", dtype: .bf16, shape: [], expectedBytes: 2, actualBytes: 8) })
    }

    @Test func offsetsAndLayout() throws {
        expectRejected(try open(header: #"{"o":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, data: eight),
                       { .offsetsOutOfBounds(file: $0, tensor: "o", begin: 4, end: 12, dataSize: 8) }, mentioning: "o")
        expectRejected(try open(header: #"{"o":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}"#, data: eight),
                       { .offsetsOutOfBounds(file: $0, tensor: "o", begin: 8, end: 0, dataSize: 8) }, mentioning: "o")
        expectRejected(try open(header: #"{"o":{"dtype":"F32","shape":[2],"data_offsets":[0,99999999999999999999]}}"#, data: eight),
                       { .offsetsOutOfBounds(file: $0, tensor: "o", begin: 0, end: Int.max, dataSize: 8) }, mentioning: "o")
        for bad in ["-8", "1.5", "\"0\""] {
            expectRejected(try open(header: "{\"o\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[\(bad),8]}}", data: eight),
                           { .invalidOffset(file: $0, tensor: "o", value: bad) }, mentioning: "o")
        }
        let sixteen = [UInt8](repeating: 0, count: 16)
        expectRejected(try open(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#, data: sixteen),
                       { .overlappingTensors(file: $0, tensor: "b", other: "a") }, mentioning: "b")
        expectRejected(try open(header: #"{"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: eight),
                       { .overlappingTensors(file: $0, tensor: "a", other: "b") })
        expectRejected(try open(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"z":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}"#, data: eight),
                       { .overlappingTensors(file: $0, tensor: "z", other: "a") })
        expectRejected(try open(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#, data: sixteen),
                       { .holeBetweenTensors(file: $0, before: "a", after: "b", gapBegin: 4, gapEnd: 8) }, mentioning: "b")
        expectRejected(try open(header: #"{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: eight),
                       { .holeBetweenTensors(file: $0, before: nil, after: "b", gapBegin: 0, gapEnd: 4) }, mentioning: "b")
        expectRejected(try open(header: #"{"a":\#(f32x2)}"#, data: eight + [1, 2, 3]),
                       { .dataNotCovered(file: $0, coveredBytes: 8, dataSize: 11) })
        expectRejected(try open(header: "{}", data: [0]), { .dataNotCovered(file: $0, coveredBytes: 0, dataSize: 1) })
    }

    @Test func namesAndMetadata() throws {
        expectRejected(try open(header: #"{"a":\#(f32x2),"a":\#(f32x2)}"#, data: eight),
                       { .duplicateTensorName(file: $0, tensor: "a") }, mentioning: "a")
        // Same name written with an escape: still a duplicate.
        expectRejected(try open(header: #"{"a":\#(f32x2),"\u0061":\#(f32x2)}"#, data: eight),
                       { .duplicateTensorName(file: $0, tensor: "a") })
        expectRejected(try open(header: #"{"__metadata__":{},"__metadata__":{}}"#),
                       { .duplicateTensorName(file: $0, tensor: "__metadata__") })
        expectRejected(try open(header: #"{"__metadata__":{"k":"v","n":1}}"#), { .metadataValueNotString(file: $0, key: "n") })
        expectRejected(try open(header: #"{"__metadata__":{"k":{"x":"y"}}}"#), { .metadataValueNotString(file: $0, key: "k") })
        expectRejected(try open(header: #"{"__metadata__":{"k":"v","k":"w"}}"#),
                       { .invalidMetadata(file: $0, reason: "duplicate key 'k'") })
        expectRejected(try open(header: #"{"__metadata__":["a"]}"#),
                       { .invalidMetadata(file: $0, reason: "must be an object of strings, found an array") })
    }

    @Test func notAFileOrMissing() throws {
        try stWithTemporaryDirectory { dir in
            let e1 = #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(url: dir) }
            #expect(e1 == .notARegularFile(file: dir.path))
            let missing = dir.appendingPathComponent("missing.safetensors")
            let e2 = #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(url: missing) }
            guard case .cannotOpen(let file, let reason)? = e2 else { Issue.record("got \(String(describing: e2))"); return }
            #expect(file == missing.path && reason.contains("No such file"))
        }
    }

    /// Every single-byte corruption of a valid file either opens or throws a SafeTensorsError: never crashes.
    @Test func everySingleByteCorruptionIsHandled() throws {
        var w = SafeTensorsWriter(metadata: ["k": "v"])
        try w.add(name: "a", shape: [2, 2], floats: [1, 2, 3, 4], as: .bf16)
        try w.add(name: "b", shape: [3], int64s: [1, 2, 3], as: .i8)
        let good = try w.serialized()
        var rejected = 0
        try stWithTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("c.safetensors")
            for i in 0..<good.count {
                for replacement: UInt8 in [0x00, 0x22, 0x7D, 0xFF, good[i] ^ 0x01] where replacement != good[i] {
                    var bad = good
                    bad[i] = replacement
                    try Data(bad).write(to: url)
                    do { _ = try SafeTensorsFile(url: url) } catch is SafeTensorsError { rejected += 1 }
                }
            }
        }
        #expect(rejected > good.count)
    }
}
