import Foundation
import VTPTensor

/// A value built by `RestrictedUnpickler`. Lists and dicts are reference boxes because pickle mutates them after
/// they are memoised (APPENDS / SETITEMS).
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    /// An integer beyond 64 bits: its little-endian two's-complement bytes.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    case global(module: String, name: String)
    /// A storage reference from a persistent id: dtype, key (zip entry name or legacy key), element count, and for
    /// legacy views (offset, count) into the root storage.
    case storage(dtype: DType, key: String, count: Int, view: (offset: Int, count: Int)?)
    case tensor(TensorView)
    case mark

    var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case let .global(m, n): return "\(m).\(n)"
        case .storage: return "storage"
        case .tensor: return "tensor"
        case .mark: return "mark"
        }
    }
}

final class PickleList { var items: [PickleValue] = [] }
final class PickleDict {
    private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    /// Position of each string/int/bool key in `entries` (keys of other kinds never compare equal).
    private var positions: [String: Int] = [:]

    /// Sets `key` to `value`: replaces the value of an equal key (`keyTag`), appends otherwise; O(1).
    func set(_ key: PickleValue, _ value: PickleValue) {
        guard let tag = key.keyTag else { entries.append((key, value)); return }
        if let j = positions[tag] { entries[j].value = value } else {
            positions[tag] = entries.count
            entries.append((key, value))
        }
    }

    /// Appends without looking for an equal key (`OrderedDict([(k, v), …])` keeps every pair).
    func append(_ key: PickleValue, _ value: PickleValue) { entries.append((key, value)) }

    func removeAll() {
        entries = []
        positions = [:]
    }
}

/// Every list and dict one checkpoint's pickles create. A pickle can make a container hold itself (DUP then
/// APPEND) or nest containers arbitrarily deep; `release()` empties them all once the checkpoint is read, so
/// that no reference cycle outlives it and no deep chain is freed recursively.
final class PickleArena {
    private var lists: [PickleList] = []
    private var dicts: [PickleDict] = []

    func list() -> PickleList {
        let l = PickleList()
        lists.append(l)
        return l
    }

    func dict() -> PickleDict {
        let d = PickleDict()
        dicts.append(d)
        return d
    }

    func release() {
        for l in lists { l.items = [] }
        for d in dicts { d.removeAll() }
    }
}

/// A strided view of a storage, as `torch._utils._rebuild_tensor_v2` describes it (offset and strides in elements).
struct TensorView {
    let dtype: DType
    let storageKey: String
    let storageCount: Int
    /// Where the root storage's view begins (legacy storage views), in elements.
    let storageBase: Int
    let offset: Int
    let shape: [Int]
    let strides: [Int]
}

/// A pickle virtual machine that understands only what a PyTorch state dict needs: containers, numbers, strings,
/// `collections.OrderedDict`, the tensor rebuild functions and the storage types. It never imports or calls
/// anything: REDUCE on an allowed global is interpreted here, every other global is refused by name
/// (`FormatError.forbiddenGlobal`). Protocols 0–5 framing is accepted.
struct RestrictedUnpickler {
    let file: String
    let bytes: UnsafeRawBufferPointer
    /// Owns the containers this pickle creates (see `PickleArena`).
    let arena: PickleArena
    /// Resolves a persistent id (the tuple after BINPERSID) to a storage value.
    let persistentLoad: (PickleValue) throws -> PickleValue

    static let storageTypes: [String: DType] = [
        "FloatStorage": .f32, "HalfStorage": .f16, "BFloat16Storage": .bf16, "DoubleStorage": .f64,
        "LongStorage": .i64, "IntStorage": .i32, "ShortStorage": .i16, "CharStorage": .i8, "ByteStorage": .u8,
        "BoolStorage": .bool,
    ]
    /// Deepest nesting of tuples accepted (state dicts use 2–3 levels; a deeper chain is an attack on the stack).
    static let maxTupleDepth = 64

    static let rebuildFunctions: Set<String> = ["_rebuild_tensor_v2", "_rebuild_tensor", "_rebuild_parameter",
                                                "_rebuild_parameter_with_state"]

    /// Runs the pickle starting at `start`; returns the value and the offset after STOP.
    func load(from start: Int) throws -> (PickleValue, Int) {
        // Each value with its tuple depth (tuples nested inside it without a list or dict in between).
        typealias Slot = (value: PickleValue, depth: Int)
        var stack: [Slot] = []
        var marks: [Int] = []
        var memo: [Int: Slot] = [:]
        var p = start
        let n = bytes.count
        func bad(_ reason: String) -> FormatError { .invalidPickle(file: file, offset: p, reason: reason) }
        func need(_ k: Int) throws {
            if k < 0 || k > n - p { throw FormatError.truncated(file: file, what: "pickle argument", offset: p) }
        }
        func u8() throws -> Int { try need(1); defer { p += 1 }; return Int(bytes[p]) }
        func le(_ k: Int) throws -> UInt64 {
            try need(k)
            var v: UInt64 = 0
            for i in 0..<k { v |= UInt64(bytes[p + i]) << (8 * UInt64(i)) }
            p += k
            return v
        }
        func raw(_ k: Int) throws -> UnsafeRawBufferPointer {
            try need(k); defer { p += k }; return UnsafeRawBufferPointer(rebasing: bytes[p..<(p + k)])
        }
        func line() throws -> String {
            var e = p
            while e < n && bytes[e] != 0x0A { e += 1 }
            guard e < n else { throw FormatError.truncated(file: file, what: "pickle text line", offset: p) }
            let s = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[p..<e]), as: UTF8.self)
            p = e + 1
            return s
        }
        func utf8(_ k: Int) throws -> PickleValue {
            let b = try raw(k)
            guard let s = String(validating: b, as: UTF8.self) else { throw bad("string is not UTF-8") }
            return .string(s)
        }
        func push(_ v: PickleValue) { stack.append((v, 0)) }
        func popSlot() throws -> Slot {
            guard let v = stack.popLast() else { throw bad("stack underflow") }
            if case .mark = v.value { throw bad("unexpected mark") }
            return v
        }
        func pop() throws -> PickleValue {
            let slot = try popSlot()
            return slot.value
        }
        func popMarkSlots() throws -> [Slot] {
            // The mark sits at index m; the items follow it.
            guard let m = marks.popLast(), m < stack.count, case .mark = stack[m].value else { throw bad("no mark on the stack") }
            let items = Array(stack[(m + 1)...])
            stack.removeSubrange(m...)
            return items
        }
        func popMark() throws -> [PickleValue] { try popMarkSlots().map(\.value) }
        func pushTuple(_ items: [Slot]) throws {
            let depth = 1 + (items.map(\.depth).max() ?? 0)
            if depth > Self.maxTupleDepth { throw bad("tuples nested more than \(Self.maxTupleDepth) deep") }
            stack.append((.tuple(items.map(\.value)), depth))
        }
        func topSlot() throws -> Slot {
            guard let v = stack.last else { throw bad("stack underflow") }
            return v
        }
        func top() throws -> PickleValue {
            let slot = try topSlot()
            return slot.value
        }
        func memoGet(_ i: Int) throws -> Slot {
            guard let v = memo[i] else { throw bad("memo key \(i) was never stored") }
            return v
        }
        func setItems(_ target: PickleValue, _ items: [PickleValue]) throws {
            guard case let .dict(d) = target else { throw bad("SETITEM(S) on a \(target.kind)") }
            guard items.count % 2 == 0 else { throw bad("odd number of dict items") }
            for i in stride(from: 0, to: items.count, by: 2) { d.set(items[i], items[i + 1]) }
        }
        func appendItems(_ target: PickleValue, _ items: [PickleValue]) throws {
            guard case let .list(l) = target else { throw bad("APPEND(S) on a \(target.kind)") }
            l.items += items
        }

        while true {
            let at = p
            let op = try u8()
            switch op {
            case 0x80: let v = try u8(); if v > 5 { throw bad("pickle protocol \(v) is newer than 5") }  // PROTO
            case 0x95: _ = try le(8)  // FRAME
            case 0x2E:  // STOP
                guard stack.count == 1, marks.isEmpty else { throw bad("STOP with \(stack.count) values on the stack") }
                return (stack[0].value, p)
            case 0x28: marks.append(stack.count); push(.mark)  // MARK
            case 0x30: _ = try pop()  // POP
            case 0x31: _ = try popMark()  // POP_MARK
            case 0x32: stack.append(try topSlot())  // DUP
            case 0x4E: push(.none)
            case 0x88: push(.bool(true))
            case 0x89: push(.bool(false))
            case 0x4A: push(.int(Int64(Int32(truncatingIfNeeded: UInt32(try le(4))))))  // BININT
            case 0x4B: push(.int(Int64(try u8())))  // BININT1
            case 0x4D: push(.int(Int64(try le(2))))  // BININT2
            case 0x8A, 0x8B:  // LONG1, LONG4
                let k = op == 0x8A ? try u8() : Int(try le(4))
                let b = try raw(k)
                if k == 0 { push(.int(0)) } else if k <= 8 {
                    var v: UInt64 = 0
                    for i in 0..<k { v |= UInt64(b[i]) << (8 * UInt64(i)) }
                    let shift = UInt64(64 - 8 * k)
                    push(.int(Int64(bitPattern: v << shift) >> Int64(shift)))
                } else { push(.bigInt(Array(b))) }
            case 0x49, 0x4C:  // INT, LONG (text)
                var s = try line()
                if s.hasSuffix("L") { s.removeLast() }
                if s == "01" { push(.bool(true)) } else if s == "00" { push(.bool(false)) } else if let v = Int64(s) {
                    push(.int(v))
                } else { throw bad("bad integer literal '\(s)'") }
            case 0x47: push(.float(Double(bitPattern: UInt64(bigEndian: try le(8)))))  // BINFLOAT (big-endian)
            case 0x46:  // FLOAT (text)
                let s = try line()
                guard let v = Double(s) else { throw bad("bad float literal '\(s)'") }
                push(.float(v))
            case 0x58: push(try utf8(Int(try le(4))))  // BINUNICODE
            case 0x8C: push(try utf8(try u8()))  // SHORT_BINUNICODE
            case 0x8D:  // BINUNICODE8
                let k = try le(8)
                guard k <= UInt64(n) else { throw FormatError.truncated(file: file, what: "pickle string", offset: p) }
                push(try utf8(Int(k)))
            case 0x54, 0x55:  // BINSTRING, SHORT_BINSTRING (Python 2 str, read as text)
                let k = op == 0x55 ? try u8() : Int(Int32(truncatingIfNeeded: UInt32(try le(4))))
                push(.string(String(decoding: try raw(k), as: UTF8.self)))
            case 0x42, 0x43, 0x8E:  // BINBYTES, SHORT_BINBYTES, BINBYTES8
                let k: UInt64 = op == 0x43 ? UInt64(try u8()) : try le(op == 0x42 ? 4 : 8)
                guard k <= UInt64(n) else { throw FormatError.truncated(file: file, what: "pickle bytes", offset: p) }
                push(.bytes(Array(try raw(Int(k)))))
            case 0x56:  // UNICODE (raw-unicode-escape text; plain ASCII accepted)
                push(.string(try line()))
            case 0x53:  // STRING (quoted text)
                var s = try line()
                if s.count >= 2, let f = s.first, f == "'" || f == "\"", s.last == f { s = String(s.dropFirst().dropLast()) }
                push(.string(s))
            case 0x7D: push(.dict(arena.dict()))  // EMPTY_DICT
            case 0x5D: push(.list(arena.list()))  // EMPTY_LIST
            case 0x29: push(.tuple([]))  // EMPTY_TUPLE
            case 0x64:  // DICT
                let items = try popMark(), d = arena.dict()
                try setItems(.dict(d), items)
                push(.dict(d))
            case 0x6C:  // LIST
                let l = arena.list()
                l.items = try popMark()
                push(.list(l))
            case 0x74: try pushTuple(try popMarkSlots())  // TUPLE
            case 0x85: try pushTuple([try popSlot()])  // TUPLE1
            case 0x86: let b = try popSlot(), a = try popSlot(); try pushTuple([a, b])  // TUPLE2
            case 0x87: let c = try popSlot(), b = try popSlot(), a = try popSlot(); try pushTuple([a, b, c])  // TUPLE3
            case 0x61: let v = try pop(); try appendItems(try top(), [v])  // APPEND
            case 0x65: let items = try popMark(); try appendItems(try top(), items)  // APPENDS
            case 0x73: let v = try pop(), k = try pop(); try setItems(try top(), [k, v])  // SETITEM
            case 0x75: let items = try popMark(); try setItems(try top(), items)  // SETITEMS
            case 0x71: memo[try u8()] = try topSlot()  // BINPUT
            case 0x72: memo[Int(try le(4))] = try topSlot()  // LONG_BINPUT
            case 0x94: memo[memo.count] = try topSlot()  // MEMOIZE
            case 0x70:  // PUT (text)
                let s = try line()
                guard let i = Int(s) else { throw bad("bad memo key '\(s)'") }
                memo[i] = try topSlot()
            case 0x68: stack.append(try memoGet(try u8()))  // BINGET
            case 0x6A: stack.append(try memoGet(Int(try le(4))))  // LONG_BINGET
            case 0x67:  // GET (text)
                let s = try line()
                guard let i = Int(s) else { throw bad("bad memo key '\(s)'") }
                stack.append(try memoGet(i))
            case 0x63:  // GLOBAL "module\nname\n"
                let module = try line(), name = try line()
                push(try global(module, name))
            case 0x93:  // STACK_GLOBAL
                let name = try pop(), module = try pop()
                guard case let .string(m) = module, case let .string(nm) = name else { throw bad("STACK_GLOBAL needs two strings") }
                push(try global(m, nm))
            case 0x52:  // REDUCE
                let args = try pop(), callable = try pop()
                push(try reduce(callable, args, at: at))
            case 0x62:  // BUILD: state for an object; OrderedDict state (state_dict `_metadata`) is dropped
                let state = try pop()
                let target = try top()
                switch target {
                case .dict: break
                case .tensor: break  // Parameter / tensor state (requires_grad, hooks): not data
                default: throw bad("BUILD on a \(target.kind) with \(state.kind) state")
                }
            case 0x51:  // BINPERSID
                let pid = try pop()
                push(try persistentLoad(pid))
            case 0x50:  // PERSID (text)
                push(try persistentLoad(.string(try line())))
            default:
                throw bad(String(format: "opcode 0x%02X is not allowed in a state dict", op))
            }
        }
    }

    /// The allow-list: only these globals may be named.
    private func global(_ module: String, _ name: String) throws -> PickleValue {
        switch (module, name) {
        case ("collections", "OrderedDict"), ("builtins", "dict"), ("__builtin__", "dict"): break
        case ("torch._utils", let f) where Self.rebuildFunctions.contains(f): break
        case ("torch", let s) where Self.storageTypes[s] != nil: break
        default: throw FormatError.forbiddenGlobal(file: file, module: module, name: name)
        }
        return .global(module: module, name: name)
    }

    private func reduce(_ callable: PickleValue, _ args: PickleValue, at offset: Int) throws -> PickleValue {
        func bad(_ r: String) -> FormatError { .invalidPickle(file: file, offset: offset, reason: r) }
        guard case let .global(module, name) = callable else { throw bad("REDUCE on a \(callable.kind)") }
        guard case let .tuple(a) = args else { throw bad("REDUCE arguments are a \(args.kind), not a tuple") }
        switch (module, name) {
        case ("collections", "OrderedDict"), (_, "dict"):
            let d = arena.dict()
            if let first = a.first {
                // OrderedDict([(k, v), ...]) from older pickles.
                guard case let .list(l) = first else { throw bad("\(name)(…) with a \(first.kind) argument") }
                for item in l.items {
                    let pair: [PickleValue]
                    switch item {
                    case let .tuple(t): pair = t
                    case let .list(l): pair = l.items
                    default: pair = []
                    }
                    guard pair.count == 2 else { throw bad("\(name) item is a \(item.kind), not a (key, value) pair") }
                    d.append(pair[0], pair[1])
                }
            }
            return .dict(d)
        case ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"):
            guard a.count >= 4 else { throw bad("\(name) needs storage, offset, size, stride") }
            guard case let .storage(dtype, key, count, view) = a[0] else { throw bad("\(name): first argument is a \(a[0].kind), not a storage") }
            guard case let .int(off) = a[1], off >= 0 else { throw bad("\(name): storage offset is not a non-negative int") }
            let shape = try ints(a[2], "size", offset), strides = try ints(a[3], "stride", offset)
            guard shape.count == strides.count else { throw bad("\(name): size \(shape) and stride \(strides) differ in rank") }
            guard shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }) else {
                throw bad("\(name): negative size \(shape) or stride \(strides)")
            }
            return .tensor(TensorView(dtype: dtype, storageKey: key, storageCount: view?.count ?? count, storageBase: view?.offset ?? 0,
                                      offset: Int(off), shape: shape, strides: strides))
        case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
            guard let t = a.first, case .tensor = t else { throw bad("\(name): first argument is not a tensor") }
            return t
        default:
            throw FormatError.forbiddenGlobal(file: file, module: module, name: name)  // storage types are not callable
        }
    }

    private func ints(_ v: PickleValue, _ what: String, _ offset: Int) throws -> [Int] {
        let items: [PickleValue]
        switch v {
        case let .tuple(t): items = t
        case let .list(l): items = l.items
        default: throw FormatError.invalidPickle(file: file, offset: offset, reason: "tensor \(what) is a \(v.kind)")
        }
        var out: [Int] = []
        for item in items {
            guard case let .int(i) = item else { throw FormatError.invalidPickle(file: file, offset: offset, reason: "tensor \(what) holds a \(item.kind)") }
            out.append(Int(i))
        }
        return out
    }
}

extension PickleValue {
    /// A dict key as a hash key: equal for equal strings, ints and bools (Python's `1 == True` aside), nil for keys
    /// of other kinds, which are never merged.
    var keyTag: String? {
        switch self {
        case let .string(s): return "s" + s
        case let .int(i): return "i" + String(i)
        case let .bool(b): return b ? "bT" : "bF"
        default: return nil
        }
    }

    /// A key as a path component (strings and ints), nil otherwise.
    var keyText: String? {
        switch self {
        case let .string(s): return s
        case let .int(i): return String(i)
        case let .bool(b): return b ? "True" : "False"
        default: return nil
        }
    }
}
