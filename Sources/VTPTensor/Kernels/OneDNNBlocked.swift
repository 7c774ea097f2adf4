import CDNNL
import Foundation

/// An inference activation [N, C, H, W] kept in oneDNN's channel-blocked layout between primitives (nChw16c where the
/// CPU has AVX-512, nChw8c otherwise), so that a chain of convolutions, pools and channel concatenations (a CNN's
/// feature extractor: pytorch-fid's InceptionV3) reorders once at its input and once at its output instead of
/// around every convolution. No gradient is recorded; `tensor()` gives the plain NCHW values back.
public final class BlockedActivation: @unchecked Sendable {
    /// [N, C, H, W].
    public let shape: [Int]
    let tag: dnnl_format_tag_t
    let memory: dnnl_memory_t
    /// The plain tensor a `plain(_:)` activation reads from (kept alive while it is wrapped).
    private let source: Tensor?

    init(shape: [Int], tag: dnnl_format_tag_t, memory: dnnl_memory_t, source: Tensor? = nil) {
        (self.shape, self.tag, self.memory, self.source) = (shape, tag, memory, source)
    }

    deinit { dnnl_memory_destroy(memory) }

    /// Wraps a plain NCHW tensor [N, C, H, W] without copying; the first convolution reads it as it is.
    public static func plain(_ x: Tensor) -> BlockedActivation {
        precondition(x.rank == 4 && x.count > 0, "BlockedActivation: expected a non-empty [N, C, H, W] tensor, got \(x.shape)")
        return OneDNNBlocked.shared.wrap(x)
    }

    /// The values as a plain NCHW tensor [N, C, H, W].
    public func tensor() -> Tensor { OneDNNBlocked.shared.toPlain(self) }

    /// Inference convolution with `weights` (bias and optional fused ReLU included), zero padding (top, left, bottom,
    /// right). [N, C, H, W] → [N, O, (H + top + bottom − kH)/s + 1, (W + left + right − kW)/s + 1], blocked.
    public func convolution(_ weights: PackedConvolutionWeights, stride: Int = 1,
                            padding: (top: Int, left: Int, bottom: Int, right: Int) = (0, 0, 0, 0)) -> BlockedActivation {
        precondition(shape[1] == weights.weight.shape[1], "convolution: input \(shape) and weight \(weights.weight.shape) do not match")
        return OneDNNBlocked.shared.convolution(self, weights, stride: stride, padding: padding)
    }

    /// Max pooling (padding never wins, as PyTorch's −∞ padding) or average pooling that leaves the padding out of
    /// the mean (TensorFlow's, `count_include_pad=False`). [N, C, H, W] → [N, C, (H + 2p − k)/s + 1, …].
    public func pooled(max: Bool, kernel: Int, stride: Int, padding: Int = 0) -> BlockedActivation {
        OneDNNBlocked.shared.pool(self, max: max, kernel: kernel, stride: stride, padding: padding)
    }

    /// Concatenation along channels of activations of the same N, H, W.
    public static func concatChannels(_ parts: [BlockedActivation]) -> BlockedActivation {
        precondition(!parts.isEmpty, "concatChannels: no inputs")
        for p in parts {
            precondition(p.shape[0] == parts[0].shape[0] && p.shape[2...] == parts[0].shape[2...],
                         "concatChannels: \(p.shape) does not match \(parts[0].shape) outside the channels")
        }
        return parts.count == 1 ? parts[0] : OneDNNBlocked.shared.concat(parts)
    }
}

/// A frozen convolution's weight [O, C, kH, kW] and bias [O], reordered once into the layout oneDNN's convolution
/// wants and kept (inference weights do not change; make a new one when they do).
public final class PackedConvolutionWeights: @unchecked Sendable {
    public let weight: Tensor, bias: Tensor
    public let relu: Bool
    /// The reordered weights and their descriptor (made at the first convolution, redone if a primitive wants
    /// another layout).
    var packed: (desc: dnnl_memory_desc_t, memory: dnnl_memory_t)?
    var biasMemory: dnnl_memory_t?

    public init(weight: Tensor, bias: Tensor, relu: Bool) {
        precondition(weight.rank == 4 && bias.shape == [weight.shape[0]], "PackedConvolutionWeights: weight \(weight.shape), bias \(bias.shape)")
        (self.weight, self.bias, self.relu) = (weight, bias, relu)
    }

    deinit {
        if let p = packed { dnnl_memory_destroy(p.memory) }
        if let b = biasMemory { dnnl_memory_destroy(b) }
    }
}

/// The primitives behind `BlockedActivation`, created once per problem and cached (as `OneDNNConvolution`).
final class OneDNNBlocked: @unchecked Sendable {
    static let shared = OneDNNBlocked()

    enum Op: Hashable { case convolution, pool, concat, toPlain }
    struct Key: Hashable {
        var op: Op
        var shapes: [[Int]]
        var tags: [UInt32]
        var params: [Int]
    }

    /// The layout of every activation a primitive makes.
    let blockedTag: dnnl_format_tag_t
    private let device = OneDNNDevice("blocked inference")
    private var engine: dnnl_engine_t? { device.engine }
    private var cache: [Key: dnnl_primitive_t] = [:]
    private let lock = NSLock()

    private init() {
        let isa = dnnl_get_effective_cpu_isa().rawValue, avx512 = dnnl_cpu_isa_avx512_core.rawValue
        blockedTag = isa & avx512 == avx512 ? dnnl_nChw16c : dnnl_nChw8c
    }

    private func check(_ s: dnnl_status_t, _ what: String) { device.check(s, what) }
    private func md(_ dims: [Int], _ tag: dnnl_format_tag_t) -> dnnl_memory_desc_t { device.md(dims, tag) }

    private func allocate(_ shape: [Int], _ tag: dnnl_format_tag_t) -> BlockedActivation {
        var m = md(shape, tag)
        var memory: dnnl_memory_t?
        check(dnnl_memory_create(&memory, &m, engine, UnsafeMutableRawPointer(bitPattern: -1)), "memory")  // DNNL_MEMORY_ALLOCATE
        return BlockedActivation(shape: shape, tag: tag, memory: memory!)
    }

    private func userMemory(_ dims: [Int], _ tag: dnnl_format_tag_t, _ pointer: UnsafeRawPointer) -> dnnl_memory_t {
        var m = md(dims, tag)
        var memory: dnnl_memory_t?
        check(dnnl_memory_create(&memory, &m, engine, UnsafeMutableRawPointer(mutating: pointer)), "memory")
        return memory!
    }

    /// Runs one primitive (cached under `key`, made by `make` on a miss) and waits for it.
    private func run(_ key: Key, _ args: [dnnl_exec_arg_t], make: () -> dnnl_primitive_desc_t?) {
        let primitive: dnnl_primitive_t?
        if let hit = cache[key] {
            primitive = hit
        } else {
            let pd = make()
            defer { dnnl_primitive_desc_destroy(pd) }
            var p: dnnl_primitive_t?
            check(dnnl_primitive_create(&p, pd), "primitive")
            cache[key] = p
            primitive = p
        }
        device.execute(primitive, args, "execute")
        device.wait()
    }

    private func reorderPD(_ from: inout dnnl_memory_desc_t, _ to: inout dnnl_memory_desc_t) -> dnnl_primitive_desc_t? {
        var pd: dnnl_primitive_desc_t?
        check(dnnl_reorder_primitive_desc_create(&pd, &from, engine, &to, engine, nil), "reorder descriptor")
        return pd
    }

    func wrap(_ x: Tensor) -> BlockedActivation {
        BlockedActivation(shape: x.shape, tag: dnnl_nchw, memory: userMemory(x.shape, dnnl_nchw, UnsafeRawPointer(x.data)), source: x)
    }

    func toPlain(_ a: BlockedActivation) -> Tensor {
        let out = Tensor(uninitialized: a.shape)
        lock.lock()
        defer { lock.unlock() }
        let dst = userMemory(a.shape, dnnl_nchw, UnsafeRawPointer(out.data))
        defer { dnnl_memory_destroy(dst) }
        let key = Key(op: .toPlain, shapes: [a.shape], tags: [a.tag.rawValue], params: [])
        run(key, [dnnl_exec_arg_t(arg: 1, memory: a.memory), dnnl_exec_arg_t(arg: 17, memory: dst)]) {
            var from = md(a.shape, a.tag), to = md(a.shape, dnnl_nchw)
            return reorderPD(&from, &to)
        }
        return out
    }

    func convolution(_ x: BlockedActivation, _ w: PackedConvolutionWeights, stride: Int,
                     padding: (top: Int, left: Int, bottom: Int, right: Int)) -> BlockedActivation {
        let (o, kh, kw) = (w.weight.shape[0], w.weight.shape[2], w.weight.shape[3])
        let outH = (x.shape[2] + padding.top + padding.bottom - kh) / stride + 1
        let outW = (x.shape[3] + padding.left + padding.right - kw) / stride + 1
        precondition(stride > 0 && outH > 0 && outW > 0, "convolution: kernel \(w.weight.shape) larger than padded input \(x.shape)")
        let outShape = [x.shape[0], o, outH, outW]
        let out = allocate(outShape, blockedTag)
        lock.lock()
        defer { lock.unlock() }
        func descriptor() -> dnnl_primitive_desc_t? {
            var src = md(x.shape, x.tag), dst = md(outShape, blockedTag), bias = md([o], dnnl_x)
            var weights = md(w.weight.shape, dnnl_format_tag_any)
            var strides: [Int64] = [Int64(stride), Int64(stride)]
            var padL: [Int64] = [Int64(padding.top), Int64(padding.left)], padR: [Int64] = [Int64(padding.bottom), Int64(padding.right)]
            var desc = dnnl_convolution_desc_t()
            check(dnnl_convolution_forward_desc_init(&desc, dnnl_forward_inference, dnnl_convolution_direct, &src, &weights, &bias,
                                                     &dst, &strides, &padL, &padR), "convolution descriptor")
            return device.primitiveDescriptor(&desc, relu: w.relu, "convolution primitive descriptor")
        }
        let key = Key(op: .convolution, shapes: [x.shape, w.weight.shape], tags: [x.tag.rawValue],
                      params: [stride, padding.top, padding.left, padding.bottom, padding.right, w.relu ? 1 : 0])
        // One descriptor serves both: on a miss `run` makes the primitive from it (and destroys it); on a hit with
        // weights not yet packed, it only gives their layout.
        let hit = cache[key] != nil
        var pd: dnnl_primitive_desc_t?
        if !hit || w.packed == nil {
            pd = descriptor()
            pack(w, wanted: dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0))
        }
        if hit, let pd { dnnl_primitive_desc_destroy(pd) }
        if w.biasMemory == nil { w.biasMemory = userMemory([o], dnnl_x, UnsafeRawPointer(w.bias.data)) }
        run(key, [dnnl_exec_arg_t(arg: 1, memory: x.memory), dnnl_exec_arg_t(arg: 33, memory: w.packed!.memory),
                  dnnl_exec_arg_t(arg: 41, memory: w.biasMemory), dnnl_exec_arg_t(arg: 17, memory: out.memory)]) { pd }
        return out
    }

    /// Reorders the plain OIHW weights into the layout `wanted` unless they are in it already.
    private func pack(_ w: PackedConvolutionWeights, wanted: UnsafePointer<dnnl_memory_desc_t>?) {
        guard let wanted else { fatalError("oneDNN blocked inference: no weights layout") }
        if var current = w.packed?.desc, dnnl_memory_desc_equal(&current, wanted) != 0 { return }
        if let p = w.packed { dnnl_memory_destroy(p.memory) }
        var desc = wanted.pointee
        var memory: dnnl_memory_t?
        check(dnnl_memory_create(&memory, &desc, engine, UnsafeMutableRawPointer(bitPattern: -1)), "weights memory")
        let user = userMemory(w.weight.shape, dnnl_oihw, UnsafeRawPointer(w.weight.data))
        defer { dnnl_memory_destroy(user) }
        var from = md(w.weight.shape, dnnl_oihw)
        let pd = reorderPD(&from, &desc)
        defer { dnnl_primitive_desc_destroy(pd) }
        var reorder: dnnl_primitive_t?
        check(dnnl_primitive_create(&reorder, pd), "weights reorder")
        defer { dnnl_primitive_destroy(reorder) }
        device.execute(reorder, [dnnl_exec_arg_t(arg: 1, memory: user), dnnl_exec_arg_t(arg: 17, memory: memory)], "weights reorder")
        device.wait()
        w.packed = (desc, memory!)
    }

    func pool(_ x: BlockedActivation, max: Bool, kernel: Int, stride: Int, padding: Int) -> BlockedActivation {
        let oh = (x.shape[2] + 2 * padding - kernel) / stride + 1, ow = (x.shape[3] + 2 * padding - kernel) / stride + 1
        precondition(kernel > 0 && stride > 0 && padding >= 0 && padding < kernel && oh > 0 && ow > 0,
                     "pooled: kernel \(kernel), stride \(stride), padding \(padding) do not fit \(x.shape)")
        let outShape = [x.shape[0], x.shape[1], oh, ow]
        let out = allocate(outShape, blockedTag)
        lock.lock()
        defer { lock.unlock() }
        let key = Key(op: .pool, shapes: [x.shape], tags: [x.tag.rawValue], params: [max ? 1 : 0, kernel, stride, padding])
        run(key, [dnnl_exec_arg_t(arg: 1, memory: x.memory), dnnl_exec_arg_t(arg: 17, memory: out.memory)]) {
            var src = md(x.shape, x.tag), dst = md(outShape, blockedTag)
            var strides: [Int64] = [Int64(stride), Int64(stride)], k: [Int64] = [Int64(kernel), Int64(kernel)]
            var dilation: [Int64] = [0, 0], pad: [Int64] = [Int64(padding), Int64(padding)], padR = pad
            var desc = dnnl_pooling_v2_desc_t()
            check(dnnl_pooling_v2_forward_desc_init(&desc, dnnl_forward_inference, max ? dnnl_pooling_max : dnnl_pooling_avg_exclude_padding,
                                                    &src, &dst, &strides, &k, &dilation, &pad, &padR), "pooling descriptor")
            return device.primitiveDescriptor(&desc, relu: false, "pooling primitive descriptor")
        }
        return out
    }

    func concat(_ parts: [BlockedActivation]) -> BlockedActivation {
        let c = parts.reduce(0) { $0 + $1.shape[1] }
        let outShape = [parts[0].shape[0], c, parts[0].shape[2], parts[0].shape[3]]
        let out = allocate(outShape, blockedTag)
        lock.lock()
        defer { lock.unlock() }
        let key = Key(op: .concat, shapes: parts.map(\.shape), tags: parts.map(\.tag.rawValue), params: [])
        var args = parts.enumerated().map { dnnl_exec_arg_t(arg: Int32(1024 + $0.offset), memory: $0.element.memory) }  // DNNL_ARG_MULTIPLE_SRC + i
        args.append(dnnl_exec_arg_t(arg: 17, memory: out.memory))
        run(key, args) {
            var srcs = parts.map { md($0.shape, $0.tag) }
            var dst = md(outShape, blockedTag)
            var pd: dnnl_primitive_desc_t?
            check(dnnl_concat_primitive_desc_create(&pd, &dst, Int32(srcs.count), 1, &srcs, nil, engine), "concat descriptor")
            return pd
        }
        return out
    }
}
