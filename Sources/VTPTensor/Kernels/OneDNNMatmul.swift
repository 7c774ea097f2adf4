import CDNNL
import CVTPKernels
import Foundation

/// Matrix-product precision: F32, or BF16 inputs with F32 accumulation and output (mixed precision).
public enum MatmulPrecision: String, Sendable, CaseIterable {
    case f32, bf16
}

/// The precision that matrix products use on this thread (F32 unless changed by `withMatmulPrecision`).
public enum MatmulMode {
    private static let key = "VTPTensor.MatmulPrecision"
    public static var current: MatmulPrecision {
        (Thread.current.threadDictionary[key] as? String).flatMap(MatmulPrecision.init) ?? .f32
    }

    /// Runs `body` with every matrix product (matmul, linear, conv, attention) in `precision`.
    @discardableResult
    public static func with<R>(_ precision: MatmulPrecision, _ body: () throws -> R) rethrows -> R {
        let dict = Thread.current.threadDictionary
        let old = dict[key]
        dict[key] = precision.rawValue
        defer { dict[key] = old }
        return try body()
    }
}

/// oneDNN matmul primitives, created once per problem shape and cached.
///
/// Computes, for each batch item b: `C[b] = alpha · op(A[b]) · op(B[b]) (+ bias) (+ C[b] when accumulating)`,
/// with `op` a transpose expressed through strides (nothing is copied to transpose). A is [batch, M, K]
/// (stored [batch, K, M] when `transA`), B is [batch or 1, K, N] (stored [.., N, K] when `transB`), C is
/// [batch, M, N], all dense.
///
/// `shared` serves the library's products (one at a time; each runs on oneDNN's whole thread team). Code that
/// multiplies on several threads at once, one small product per thread inside a parallel region (the attention
/// heads), takes a `worker`: its own stream, memory objects and scratchpads, so products on different workers
/// never share mutable state.
final class OneDNN: @unchecked Sendable {
    static let shared = OneDNN(ownScratchpad: false)

    struct Key: Hashable {
        var batch: Int, sharedB: Bool, m: Int, n: Int, k: Int
        var transA: Bool, transB: Bool, bias: Bool, accumulate: Bool, alpha: Float, bf16: Bool
        /// Row strides and batch strides (elements) of A, B and C.
        var lda: Int, ldb: Int, ldc: Int, sa: Int, sb: Int, sc: Int
    }

    final class Entry {
        var primitive: dnnl_primitive_t?
        var src: dnnl_memory_t?, weights: dnnl_memory_t?, bias: dnnl_memory_t?, dst: dnnl_memory_t?
        /// The primitive's own scratchpad (workers only).
        var scratchpad: dnnl_memory_t?, scratchpadBuffer: UnsafeMutableRawPointer?
    }

    private let device = OneDNNDevice("matmul")
    private var engine: dnnl_engine_t? { device.engine }
    private var stream: dnnl_stream_t? { device.stream }
    private var cache: [Key: Entry] = [:]
    private let lock = NSLock()
    /// Whether each primitive gets a scratchpad of its own (oneDNN's default shares one per thread).
    private let ownScratchpad: Bool

    private init(ownScratchpad: Bool) { self.ownScratchpad = ownScratchpad }

    private static let workerLock = NSLock()
    nonisolated(unsafe) private static var idleWorkers: [OneDNN] = []

    /// Runs `body` with a worker of its own (made on first need, kept for reuse).
    static func withWorker<R>(_ body: (OneDNN) -> R) -> R {
        workerLock.lock()
        let w = idleWorkers.popLast() ?? OneDNN(ownScratchpad: true)
        workerLock.unlock()
        defer { workerLock.lock(); idleWorkers.append(w); workerLock.unlock() }
        return body(w)
    }

    private func check(_ s: dnnl_status_t, _ what: String) { device.check(s, what) }

    fileprivate func desc(_ dims: [Int64], _ strides: [Int64], _ type: dnnl_data_type_t) -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        var d = dims, s = strides
        check(dnnl_memory_desc_init_by_strides(&md, Int32(dims.count), &d, type, &s), "memory descriptor")
        return md
    }

    private func makeEntry(_ key: Key) -> Entry {
        let (B, M, N, K) = (Int64(key.batch), Int64(key.m), Int64(key.n), Int64(key.k))
        let (lda, ldb, ldc) = (Int64(key.lda), Int64(key.ldb), Int64(key.ldc))
        let (sa, sb, sc) = (Int64(key.sa), Int64(key.sb), Int64(key.sc))
        let inType = key.bf16 ? dnnl_bf16 : dnnl_f32
        // A logical [B, M, K]: stored row-major [M, lda] or, transposed, [K, lda].
        var a = key.transA ? desc([B, M, K], [sa, 1, lda], inType) : desc([B, M, K], [sa, lda, 1], inType)
        let bb: Int64 = key.sharedB ? 1 : B
        let sbb: Int64 = key.sharedB ? (key.transB ? N * ldb : K * ldb) : sb
        var w = key.transB ? desc([bb, K, N], [sbb, 1, ldb], inType) : desc([bb, K, N], [sbb, ldb, 1], inType)
        var c = desc([B, M, N], [sc, ldc, 1], dnnl_f32)
        var bias = desc([1, 1, N], [N, N, 1], dnnl_f32)
        var op = dnnl_matmul_desc_t()
        if key.bias {
            check(dnnl_matmul_desc_init(&op, &a, &w, &bias, &c), "matmul descriptor")
        } else {
            check(dnnl_matmul_desc_init(&op, &a, &w, nil, &c), "matmul descriptor")
        }
        var attr: dnnl_primitive_attr_t?
        check(dnnl_primitive_attr_create(&attr), "attr")
        defer { dnnl_primitive_attr_destroy(attr) }
        if ownScratchpad { check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "scratchpad mode") }
        if key.alpha != 1 {
            var alpha = key.alpha
            check(dnnl_primitive_attr_set_output_scales(attr, 1, 0, &alpha), "output scale")
        }
        if key.accumulate {
            var po: dnnl_post_ops_t?
            check(dnnl_post_ops_create(&po), "post-ops")
            check(dnnl_post_ops_append_sum(po, 1), "sum post-op")
            check(dnnl_primitive_attr_set_post_ops(attr, po), "set post-ops")
            dnnl_post_ops_destroy(po)
        }
        var pd: dnnl_primitive_desc_t?
        check(dnnl_primitive_desc_create(&pd, &op, attr, engine, nil), "matmul primitive descriptor")
        defer { dnnl_primitive_desc_destroy(pd) }
        let e = Entry()
        check(dnnl_primitive_create(&e.primitive, pd), "matmul primitive")
        let none = UnsafeMutableRawPointer(bitPattern: 0)
        check(dnnl_memory_create(&e.src, &a, engine, none), "memory")
        check(dnnl_memory_create(&e.weights, &w, engine, none), "memory")
        check(dnnl_memory_create(&e.dst, &c, engine, none), "memory")
        if key.bias { check(dnnl_memory_create(&e.bias, &bias, engine, none), "memory") }
        if ownScratchpad, let md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0) {
            let size = dnnl_memory_desc_get_size(md)
            if size > 0 {
                var buffer: UnsafeMutableRawPointer?
                guard posix_memalign(&buffer, 64, size) == 0, let buffer else { fatalError("oneDNN matmul: no memory for a scratchpad") }
                e.scratchpadBuffer = buffer
                check(dnnl_memory_create(&e.scratchpad, md, engine, buffer), "scratchpad memory")
            }
        }
        return e
    }

    /// Runs one (batched) product; pointers are raw element buffers of the key's types.
    func run(_ key: Key, a: UnsafeRawPointer, b: UnsafeRawPointer, c: UnsafeMutablePointer<Float>,
             bias: UnsafePointer<Float>?) {
        lock.lock()
        defer { lock.unlock() }
        let e: Entry
        if let hit = cache[key] { e = hit } else { e = makeEntry(key); cache[key] = e }
        dnnl_memory_set_data_handle(e.src, UnsafeMutableRawPointer(mutating: a))
        dnnl_memory_set_data_handle(e.weights, UnsafeMutableRawPointer(mutating: b))
        dnnl_memory_set_data_handle(e.dst, c)
        // DNNL_ARG_SRC = 1, DNNL_ARG_WEIGHTS = 33, DNNL_ARG_BIAS = 41, DNNL_ARG_DST = 17.
        var args = [dnnl_exec_arg_t(arg: 1, memory: e.src), dnnl_exec_arg_t(arg: 33, memory: e.weights),
                    dnnl_exec_arg_t(arg: 17, memory: e.dst)]
        if key.bias, let bias {
            dnnl_memory_set_data_handle(e.bias, UnsafeMutableRawPointer(mutating: bias))
            args.append(dnnl_exec_arg_t(arg: 41, memory: e.bias))
        }
        if let scratchpad = e.scratchpad { args.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: scratchpad)) }
        check(dnnl_primitive_execute(e.primitive, stream, Int32(args.count), &args), "matmul execute")
        check(dnnl_stream_wait(stream), "stream wait")
    }

    /// Whether oneDNN can build BF16 matmuls on this CPU (it needs AVX-512-BF16 or AMX).
    lazy var supportsBF16: Bool = {
        var a = desc([1, 16, 16], [256, 16, 1], dnnl_bf16), w = a
        var c = desc([1, 16, 16], [256, 16, 1], dnnl_f32)
        var op = dnnl_matmul_desc_t()
        guard dnnl_matmul_desc_init(&op, &a, &w, nil, &c) == dnnl_success else { return false }
        var pd: dnnl_primitive_desc_t?
        let ok = dnnl_primitive_desc_create(&pd, &op, nil, engine, nil) == dnnl_success
        if ok { dnnl_primitive_desc_destroy(pd) }
        return ok
    }()
}

/// How the BF16 mode multiplies on this machine, decided once per process.
public enum BF16Backend: String, Sendable {
    /// oneDNN's BF16 kernels (AVX-512-BF16 or AMX): operands rounded to BF16 once (see `BF16Copies`), products
    /// and accumulation in F32.
    case native
    /// Exact emulation for numerics tests on any CPU: operands rounded to BF16 and multiplied in F32 (slower
    /// than F32: it adds a rounding pass per operand). Selected with `VTP_EMULATE_BF16=1`.
    case emulated
    /// No native BF16 arithmetic: the BF16 mode runs plain F32 products (a notice is printed once), since an
    /// emulation would only make it slower than F32.
    case f32

    /// The backend of this process: `emulated` when `VTP_EMULATE_BF16` is set (to anything but 0); else the one
    /// `VTP_BF16_BACKEND` names (`native`, `emulated` or `f32`; `native` only where available, e.g. to time the
    /// F32 fallback on a BF16 CPU); else `native` on a CPU with AVX-512-BF16 or AMX and `f32` otherwise.
    public static let processDefault: BF16Backend = {
        let env = ProcessInfo.processInfo.environment
        if env["VTP_EMULATE_BF16"].map({ !$0.isEmpty && $0 != "0" }) ?? false { return .emulated }
        if let name = env["VTP_BF16_BACKEND"], let b = BF16Backend(rawValue: name), b != .native || isNativeAvailable {
            return b
        }
        return isNativeAvailable ? .native : .f32
    }()

    /// Whether this CPU and oneDNN run BF16 products natively.
    public static var isNativeAvailable: Bool { CPUInfo.current.hasNativeBF16 && OneDNN.shared.supportsBF16 }

    private static let key = "VTPTensor.BF16Backend"

    /// The backend the BF16 mode uses on this thread (`processDefault` unless changed by `with`).
    public static var current: BF16Backend {
        (Thread.current.threadDictionary[key] as? String).flatMap(BF16Backend.init) ?? processDefault
    }

    /// Runs `body` with the BF16 mode on `backend` on this thread, e.g. `.emulated` to check numerics on any CPU.
    /// `.native` where `isNativeAvailable` is false runs `.emulated` (the same numerics).
    @discardableResult
    public static func with<R>(_ backend: BF16Backend, _ body: () throws -> R) rethrows -> R {
        let dict = Thread.current.threadDictionary
        let old = dict[key]
        dict[key] = (backend == .native && !isNativeAvailable ? .emulated : backend).rawValue
        defer { dict[key] = old }
        return try body()
    }

    /// Prints, once per process, that the BF16 mode runs F32 products on this CPU.
    static let announceF32: Void = {
        let why = isNativeAvailable ? "VTP_BF16_BACKEND=f32 is set"
            : "this CPU (\(CPUInfo.current.name)) has no native BF16 arithmetic (AVX-512-BF16 or AMX)"
        FileHandle.standardError.write(Data(("VTPTensor: \(why): the bf16 mode runs its matrix products in F32 "
            + "(VTP_EMULATE_BF16=1 selects the exact, slower emulation).\n").utf8))
    }()
}

/// The GEMM entry point used by all ops.
enum GEMM {
    /// C[b] = alpha · op(A[b]) · op(B[b]) + bias (+ C[b] if `accumulate`), for b in 0..<batch.
    /// - Parameters:
    ///   - a: logical [M, K] per batch item; stored [M, lda] (or [K, lda] with `transA`); items `sa` apart.
    ///   - aOwner: the tensor buffer `a` points into, when it is one: the native BF16 mode then rounds that
    ///     buffer once and reuses the copy in later products (see `BF16Copies`). Leave `nil` for scratch
    ///     buffers that are rewritten.
    ///   - b: logical [K, N]; stored [K, ldb] (or [N, ldb] with `transB`); items `sb` apart, `sb == 0`: shared.
    ///   - c: [M, ldc] per item, items `sc` apart. Defaults: dense packing.
    static func gemm(batch: Int = 1, m: Int, n: Int, k: Int,
                     a: UnsafePointer<Float>, transA: Bool = false, lda: Int? = nil, sa: Int? = nil, aOwner: TensorStorage? = nil,
                     b: UnsafePointer<Float>, transB: Bool = false, ldb: Int? = nil, sb: Int? = nil, bOwner: TensorStorage? = nil,
                     c: UnsafeMutablePointer<Float>, ldc: Int? = nil, sc: Int? = nil,
                     bias: UnsafePointer<Float>? = nil, alpha: Float = 1, accumulate: Bool = false,
                     precision: MatmulPrecision = MatmulMode.current) {
        if m == 0 || n == 0 || batch == 0 { return }
        var key = makeKey(batch: batch, m: m, n: n, k: k, transA: transA, lda: lda, sa: sa, transB: transB, ldb: ldb, sb: sb,
                          ldc: ldc, sc: sc, bias: bias != nil, alpha: alpha, accumulate: accumulate)
        if k == 0 {
            for bi in 0..<batch {
                for r in 0..<m {
                    let row = c + bi * key.sc + r * key.ldc
                    for j in 0..<n { row[j] = (accumulate ? row[j] : 0) + (bias?[j] ?? 0) }
                }
            }
            return
        }
        let backend = precision == .bf16 ? BF16Backend.current : .f32
        if precision == .bf16 && backend == .f32 { BF16Backend.announceF32 }
        switch backend {
        case .f32:
            OneDNN.shared.run(key, a: a, b: b, c: c, bias: bias)
        case .emulated:
            // BF16-rounded inputs, F32 products and accumulation (the numerics of the native kernels).
            let (na, nb) = (key.spanA, key.spanB)
            let ar = Tensor(uninitialized: [na]), br = Tensor(uninitialized: [nb])
            Loop.map(na, a, ar.data, BF16Kernels.round)
            Loop.map(nb, b, br.data, BF16Kernels.round)
            OneDNN.shared.run(key, a: ar.data, b: br.data, c: c, bias: bias)
        case .native:
            // Whole spans are converted (strides are kept, so layouts match); tensor buffers once per generation.
            key.bf16 = true
            let (na, nb) = (key.spanA, key.spanB)
            var scratch: [UnsafeMutablePointer<UInt16>] = []
            defer { for p in scratch { p.deallocate() } }
            func operand(_ p: UnsafePointer<Float>, _ span: Int, _ owner: TensorStorage?) -> UnsafePointer<UInt16> {
                if let owner, p >= UnsafePointer(owner.pointer), p + span <= UnsafePointer(owner.pointer) + owner.count {
                    return BF16Copies.of(owner) + (p - UnsafePointer(owner.pointer))
                }
                let tmp = UnsafeMutablePointer<UInt16>.allocate(capacity: span)
                scratch.append(tmp)
                BF16Kernels.narrow(p, tmp, span)
                return UnsafePointer(tmp)
            }
            OneDNN.shared.run(key, a: operand(a, na, aOwner), b: operand(b, nb, bOwner), c: c, bias: bias)
        }
    }

    /// The native BF16 product of operands already rounded to BF16 (same layout conventions as `gemm`).
    /// Only valid when `BF16Backend.current == .native`.
    static func gemmBF16(batch: Int = 1, m: Int, n: Int, k: Int,
                         a: UnsafePointer<UInt16>, transA: Bool = false, lda: Int? = nil, sa: Int? = nil,
                         b: UnsafePointer<UInt16>, transB: Bool = false, ldb: Int? = nil, sb: Int? = nil,
                         c: UnsafeMutablePointer<Float>, ldc: Int? = nil, sc: Int? = nil,
                         alpha: Float = 1, accumulate: Bool = false) {
        precondition(BF16Backend.current == .native, "gemmBF16 needs native BF16 kernels")
        if m == 0 || n == 0 || batch == 0 { return }
        var key = makeKey(batch: batch, m: m, n: n, k: k, transA: transA, lda: lda, sa: sa, transB: transB, ldb: ldb, sb: sb,
                          ldc: ldc, sc: sc, bias: false, alpha: alpha, accumulate: accumulate)
        if k == 0 {  // an empty sum
            if !accumulate { for bi in 0..<batch { for r in 0..<m { (c + bi * key.sc + r * key.ldc).update(repeating: 0, count: n) } } }
            return
        }
        key.bf16 = true
        OneDNN.shared.run(key, a: a, b: b, c: c, bias: nil)
    }

    /// The F32 primitive key of a product, with the default (dense) strides filled in.
    static func makeKey(batch: Int, m: Int, n: Int, k: Int, transA: Bool, lda: Int?, sa: Int?, transB: Bool, ldb: Int?,
                        sb: Int?, ldc: Int?, sc: Int?, bias: Bool, alpha: Float, accumulate: Bool) -> OneDNN.Key {
        let lda = lda ?? (transA ? m : k), ldb = ldb ?? (transB ? k : n), ldc = ldc ?? n
        let sa = sa ?? (transA ? k * lda : m * lda), sc = sc ?? m * ldc
        let sb = batch == 1 ? 0 : (sb ?? (transB ? n * ldb : k * ldb))
        return OneDNN.Key(batch: batch, sharedB: sb == 0, m: m, n: n, k: k, transA: transA, transB: transB,
                          bias: bias, accumulate: accumulate, alpha: alpha, bf16: false,
                          lda: lda, ldb: ldb, ldc: ldc, sa: sa, sb: sb, sc: sc)
    }
}

extension OneDNN.Key {
    /// Elements from the first to the last element of A (all batch items), and of B.
    var spanA: Int { (batch - 1) * sa + (transA ? (k - 1) * lda + m : (m - 1) * lda + k) }
    var spanB: Int { (sharedB ? 0 : (batch - 1) * sb) + (transB ? (n - 1) * ldb + k : (k - 1) * ldb + n) }
}

/// Bulk F32 → BF16 rounding (round to nearest even; NaN stays NaN).
public enum BF16Kernels {
    static let hasConvertInstruction = CPUInfo.current.hasAVX512BF16

    static func narrow(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<UInt16>, _ n: Int) {
        Parallel.forRanges((n + 15) / 16, grain: 4096) { r in
            let lo = r.lowerBound * 16, hi = min(n, r.upperBound * 16)
            narrowSerial(src + lo, dst + lo, hi - lo)
        }
    }

    /// `narrow` on the calling thread only (for use inside parallel loops).
    /// On AVX-512-BF16 CPUs (where the native backend runs) the conversion instruction does it; it flushes F32
    /// subnormals (|x| < 2⁻¹²⁶) to zero, which the portable loop keeps.
    @inline(never) static func narrowSerial(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<UInt16>, _ n: Int) {
        if hasConvertInstruction { vtp_narrow_bf16_avx512(src, dst, n); return }
        var i = 0
        while i + 16 <= n {
            let bits = unsafeBitCast(load(src + i), to: SIMD16<UInt32>.self)
            let rounded = (bits &+ 0x7FFF &+ ((bits &>> 16) & 1)) &>> 16
            let nan = (bits & 0x7FFF_FFFF) .> 0x7F80_0000
            let out = rounded.replacing(with: (bits &>> 16) | 0x40, where: nan)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: SIMD16<UInt16>(truncatingIfNeeded: out), as: SIMD16<UInt16>.self)
            i += 16
        }
        while i < n { dst[i] = DTypeConversion.bf16(fromFloat: src[i]); i += 1 }
    }

    /// x rounded to the nearest BF16 value, as a Float.
    @inline(__always) public static func round(_ x: Float) -> Float {
        DTypeConversion.floatFromBF16(DTypeConversion.bf16(fromFloat: x))
    }

    /// Vector version of `round` (vector constants: scalar operands next to SIMD integers compile poorly).
    @inline(__always) static func round(_ v: Vec) -> Vec {
        typealias U = SIMD16<UInt32>
        let bits = unsafeBitCast(v, to: U.self)
        let lsb = (bits &>> U(repeating: 16)) & U(repeating: 1)
        let rounded = ((bits &+ U(repeating: 0x7FFF) &+ lsb) &>> U(repeating: 16)) &<< U(repeating: 16)
        let nan = (bits & U(repeating: 0x7FFF_FFFF)) .> U(repeating: 0x7F80_0000)
        return unsafeBitCast(rounded.replacing(with: bits | U(repeating: 0x0040_0000), where: nan), to: Vec.self)
    }
}
