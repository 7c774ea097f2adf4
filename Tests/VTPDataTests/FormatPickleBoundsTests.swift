import Foundation
import Testing
import VTPTensor
@testable import VTPData

/// Hostile pickles the fuzzer (scripts/fuzz.sh torch) found or suggested: containers that hold themselves,
/// nesting and sharing that would overflow the stack or explode exponentially, strides that repeat a tiny
/// storage into gigabytes, offsets that overflow. Each must end in a `FormatError` (or a correct result).
@Suite("PyTorch checkpoints: hostile pickles")
struct FormatPickleBoundsTests {
    /// Opcodes of the pickle protocol used below.
    private enum Op {
        static let proto: [UInt8] = [0x80, 0x02], stop: [UInt8] = [0x2E], none: [UInt8] = [0x4E]
        static let emptyList: [UInt8] = [0x5D], emptyDict: [UInt8] = [0x7D], dup: [UInt8] = [0x32]
        static let append: [UInt8] = [0x61], tuple1: [UInt8] = [0x85], tuple2: [UInt8] = [0x86]
        static let mark: [UInt8] = [0x28], tuple: [UInt8] = [0x74], reduce: [UInt8] = [0x52], binpersid: [UInt8] = [0x51]
        static func string(_ s: String) -> [UInt8] {
            [0x58] + withUnsafeBytes(of: UInt32(s.utf8.count).littleEndian, Array.init) + Array(s.utf8)
        }
        static func int(_ v: Int64) -> [UInt8] { [0x8A, 0x08] + withUnsafeBytes(of: v.littleEndian, Array.init) }
        static func global(_ module: String, _ name: String) -> [UInt8] { [0x63] + Array("\(module)\n\(name)\n".utf8) }
        static func tuple(_ items: [[UInt8]]) -> [UInt8] { mark + items.joined() + tuple }
    }

    /// A legacy (`_use_new_zipfile_serialization=False`) checkpoint: magic, version, system info, `object` (opcodes
    /// between PROTO and STOP), the storage key list and the storages (key, F32 values).
    private func legacy(_ object: [UInt8], storages: [(String, [Float])] = []) -> Data {
        let magic: [UInt8] = [0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
        var out = Op.proto + magic + Op.stop
        out += Op.proto + [0x4D, 0xE9, 0x03] + Op.stop  // 1001
        out += Op.proto + Op.emptyDict + Op.stop
        out += Op.proto + object + Op.stop
        out += Op.proto + Op.emptyList + storages.flatMap { Op.string($0.0) + Op.append } + Op.stop
        for (_, values) in storages {
            out += withUnsafeBytes(of: UInt64(values.count).littleEndian, Array.init)
            out += values.withUnsafeBytes(Array.init)
        }
        return Data(out)
    }

    /// `torch._utils._rebuild_tensor_v2(storage '0' (F32, `count` elements), offset, size, stride, False, {})`.
    private func tensor(count: Int64, offset: Int64, size: [Int64], stride: [Int64]) -> [UInt8] {
        let storage = Op.tuple([Op.string("storage"), Op.global("torch", "FloatStorage"), Op.string("0"), Op.string("cpu"), Op.int(count)])
        let args = Op.tuple([storage + Op.binpersid, Op.int(offset), Op.tuple(size.map(Op.int)), Op.tuple(stride.map(Op.int)),
                             [0x89], Op.emptyDict])
        return Op.global("torch._utils", "_rebuild_tensor_v2") + args + Op.reduce
    }

    private func failure(_ data: Data) -> String? {
        do {
            _ = try TorchCheckpoint(data: data, file: "hostile.pt")
            return nil
        } catch let e as FormatError {
            return e.description
        } catch {
            return "not a FormatError: \(error)"
        }
    }

    @Test func theTensorHelperBuildsAReadableCheckpoint() throws {
        let ckpt = try TorchCheckpoint(data: legacy(tensor(count: 2, offset: 0, size: [2], stride: [1]), storages: [("0", [1.5, -2])]), file: "ok.pt")
        #expect(ckpt.names == ["tensor"])
        #expect(ckpt.tensors.first?.tensor.floats == [1.5, -2])
    }

    @Test func aListThatHoldsItselfIsRefusedAndFreed() throws {
        let cyclic = Op.emptyList + Op.dup + Op.append
        let message = try #require(failure(legacy(cyclic)))
        #expect(message.contains("nested more than 100 deep") && message.contains("holds itself"), "\(message)")
        // The arena breaks the cycle: the list does not outlive the read.
        weak var leaked: PickleList?
        do {
            let arena = PickleArena()
            let bytes = Op.proto + cyclic + Op.stop
            try bytes.withUnsafeBytes { raw in
                let u = RestrictedUnpickler(file: "x", bytes: raw, arena: arena) { _ in .none }
                guard case let .list(l) = try u.load(from: 0).0 else { Issue.record("not a list"); return }
                leaked = l
            }
            #expect(leaked != nil)
            arena.release()
        }
        #expect(leaked == nil, "a self-referencing list leaked")
    }

    @Test func deepNestingIsAnErrorNotAStackOverflow() throws {
        // 100,000 nested tuples (one opcode each) once crashed the stack when freed.
        let tuples = Op.none + [UInt8](repeating: Op.tuple1[0], count: 100_000)
        let t = try #require(failure(legacy(tuples)))
        #expect(t.contains("tuples nested more than 64 deep"), "\(t)")
        // 50,000 nested lists.
        let lists = [UInt8](repeating: Op.emptyList[0], count: 50_000) + [UInt8](repeating: Op.append[0], count: 49_999)
        let l = try #require(failure(legacy(lists)))
        #expect(l.contains("nested more than 100 deep"), "\(l)")
    }

    @Test func sharingCannotExplodeExponentially() throws {
        // t = (t, t) forty times: 2^40 leaves described by 80 bytes.
        var object = Op.none
        for _ in 0..<40 { object += Op.dup + Op.tuple2 }
        let message = try #require(failure(legacy(object)))
        #expect(message.contains("more than 2000000 values"), "\(message)")
    }

    @Test func manyDistinctKeysAreSetInLinearTime() throws {
        // 200,000 SETITEMs into one dict (a quadratic key search took minutes); the last value of a key wins.
        var object = Op.emptyDict
        for i in 0..<200_000 { object += Op.string("k\(i % 100_000)") + Op.int(Int64(i)) + [0x73] }
        let start = Date()
        let ckpt = try TorchCheckpoint(data: legacy(object), file: "keys.pt")
        #expect(ckpt.skipped.count == 100_000)
        #expect(ckpt.skipped.first?.name == "k0")
        #expect(Date().timeIntervalSince(start) < 20)
    }

    @Test func repeatedStorageIsBoundedAndOffsetsCannotOverflow() throws {
        // Zero strides may repeat elements (torch's expand), within 64 MiB.
        let small = try TorchCheckpoint(data: legacy(tensor(count: 1, offset: 0, size: [3], stride: [0]), storages: [("0", [7])]), file: "e.pt")
        #expect(small.tensors.first?.tensor.floats == [7, 7, 7])
        let bomb = try #require(failure(legacy(tensor(count: 1, offset: 0, size: [8192, 8192], stride: [0, 0]), storages: [("0", [7])])))
        #expect(bomb.contains("repeats a 1-element storage into 67108864 elements"), "\(bomb)")
        let huge = try #require(failure(legacy(tensor(count: 1, offset: 0, size: [1 << 62], stride: [0]), storages: [("0", [7])])))
        #expect(huge.contains("repeats a 1-element storage"), "\(huge)")
        // An empty tensor at an absurd offset is empty (the offset once overflowed a multiplication).
        let empty = try TorchCheckpoint(data: legacy(tensor(count: 1, offset: 1 << 62, size: [0], stride: [1]), storages: [("0", [7])]), file: "z.pt")
        #expect(empty.tensors.first?.tensor.shape == [0])
    }
}
