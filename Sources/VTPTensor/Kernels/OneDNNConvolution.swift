import CDNNL
import Foundation

/// oneDNN convolution primitives — forward (inference, with an optional fused ReLU, or training), backward-data and
/// backward-weights — created once per problem and cached (as `OneDNN` caches matmuls). oneDNN picks the layouts it
/// computes fastest in (blocked, e.g. nChw16c on AVX-512); the caller's plain NCHW / OIHW buffers are reordered into
/// them and results back, inside the cached entry.
final class OneDNNConvolution: @unchecked Sendable {
    static let shared = OneDNNConvolution()

    enum Pass: Hashable { case inference, training, backwardData, backwardWeights }

    struct Key: Hashable {
        var pass: Pass
        var n: Int, c: Int, h: Int, w: Int, o: Int, kh: Int, kw: Int, stride: Int
        var top: Int, left: Int, bottom: Int, right: Int
        var bias: Bool, relu: Bool
        var outH: Int { (h + top + bottom - kh) / stride + 1 }
        var outW: Int { (w + left + right - kw) / stride + 1 }
    }

    /// oneDNN execution argument ids.
    enum Arg: Int32 { case src = 1, dst = 17, weights = 33, bias = 41, diffSrc = 129, diffDst = 145, diffWeights = 161, diffBias = 169 }

    /// One argument: the memory wrapping the caller's plain buffer, oneDNN's memory in its chosen layout (the same
    /// object when the layouts agree) and the reorder between them.
    final class Slot {
        let arg: Arg, output: Bool
        var user: dnnl_memory_t?, inner: dnnl_memory_t?, reorder: dnnl_primitive_t?
        init(_ arg: Arg, output: Bool) { self.arg = arg; self.output = output }
    }

    final class Entry {
        var primitive: dnnl_primitive_t?
        var slots: [Slot] = []
    }

    private let device = OneDNNDevice("convolution")
    private var engine: dnnl_engine_t? { device.engine }
    private var cache: [Key: Entry] = [:]
    private let lock = NSLock()

    private init() {}

    private func check(_ s: dnnl_status_t, _ what: String) { device.check(s, what) }
    private func md(_ dims: [Int], _ tag: dnnl_format_tag_t) -> dnnl_memory_desc_t { device.md(dims, tag) }

    /// Fills a slot: the user memory (plain layout `tag`) and, when oneDNN chose another layout, its own memory
    /// and the reorder (user → inner for inputs, inner → user for outputs).
    private func bind(_ slot: Slot, dims: [Int], tag: dnnl_format_tag_t, chosen: UnsafePointer<dnnl_memory_desc_t>?) {
        var user = md(dims, tag)
        check(dnnl_memory_create(&slot.user, &user, engine, UnsafeMutableRawPointer(bitPattern: 0)), "memory")
        guard let chosen, dnnl_memory_desc_equal(&user, chosen) == 0 else { slot.inner = slot.user; return }
        check(dnnl_memory_create(&slot.inner, chosen, engine, UnsafeMutableRawPointer(bitPattern: -1)), "memory")  // DNNL_MEMORY_ALLOCATE
        var rpd: dnnl_primitive_desc_t?
        if slot.output {
            check(dnnl_reorder_primitive_desc_create(&rpd, chosen, engine, &user, engine, nil), "reorder descriptor")
        } else {
            check(dnnl_reorder_primitive_desc_create(&rpd, &user, engine, chosen, engine, nil), "reorder descriptor")
        }
        defer { dnnl_primitive_desc_destroy(rpd) }
        check(dnnl_primitive_create(&slot.reorder, rpd), "reorder")
    }

    private func makeEntry(_ k: Key) -> Entry {
        let srcDims = [k.n, k.c, k.h, k.w], wDims = [k.o, k.c, k.kh, k.kw], dstDims = [k.n, k.o, k.outH, k.outW]
        var anySrc = md(srcDims, dnnl_format_tag_any), anyW = md(wDims, dnnl_format_tag_any), anyDst = md(dstDims, dnnl_format_tag_any)
        var bias = md([k.o], dnnl_x)
        var strides: [Int64] = [Int64(k.stride), Int64(k.stride)]
        var padL: [Int64] = [Int64(k.top), Int64(k.left)], padR: [Int64] = [Int64(k.bottom), Int64(k.right)]
        let alg = dnnl_convolution_direct
        // The forward descriptor (the backward passes need its primitive descriptor as a hint).
        var fwd = dnnl_convolution_desc_t()
        let prop = k.pass == .inference ? dnnl_forward_inference : dnnl_forward_training
        let fwdBias = k.bias && (k.pass == .inference || k.pass == .training)
        if fwdBias {
            check(dnnl_convolution_forward_desc_init(&fwd, prop, alg, &anySrc, &anyW, &bias, &anyDst, &strides, &padL, &padR), "convolution descriptor")
        } else {
            check(dnnl_convolution_forward_desc_init(&fwd, prop, alg, &anySrc, &anyW, nil, &anyDst, &strides, &padL, &padR), "convolution descriptor")
        }
        let fpd = device.primitiveDescriptor(&fwd, relu: k.relu && k.pass == .inference, "convolution primitive descriptor")
        defer { dnnl_primitive_desc_destroy(fpd) }
        let e = Entry()
        func q(_ pd: dnnl_primitive_desc_t?, _ what: dnnl_query_t) -> UnsafePointer<dnnl_memory_desc_t>? { dnnl_primitive_desc_query_md(pd, what, 0) }
        switch k.pass {
        case .inference, .training:
            check(dnnl_primitive_create(&e.primitive, fpd), "convolution primitive")
            let src = Slot(.src, output: false), w = Slot(.weights, output: false), dst = Slot(.dst, output: true)
            bind(src, dims: srcDims, tag: dnnl_nchw, chosen: q(fpd, dnnl_query_src_md))
            bind(w, dims: wDims, tag: dnnl_oihw, chosen: q(fpd, dnnl_query_weights_md))
            bind(dst, dims: dstDims, tag: dnnl_nchw, chosen: q(fpd, dnnl_query_dst_md))
            e.slots = [src, w, dst]
            if k.bias { let b = Slot(.bias, output: false); bind(b, dims: [k.o], tag: dnnl_x, chosen: nil); e.slots.append(b) }
        case .backwardData:
            var op = dnnl_convolution_desc_t()
            check(dnnl_convolution_backward_data_desc_init(&op, alg, &anySrc, &anyW, &anyDst, &strides, &padL, &padR), "backward-data descriptor")
            let pd = device.primitiveDescriptor(&op, relu: false, hint: fpd, "backward-data primitive descriptor")
            defer { dnnl_primitive_desc_destroy(pd) }
            check(dnnl_primitive_create(&e.primitive, pd), "backward-data primitive")
            let dd = Slot(.diffDst, output: false), w = Slot(.weights, output: false), ds = Slot(.diffSrc, output: true)
            bind(dd, dims: dstDims, tag: dnnl_nchw, chosen: q(pd, dnnl_query_diff_dst_md))
            bind(w, dims: wDims, tag: dnnl_oihw, chosen: q(pd, dnnl_query_weights_md))
            bind(ds, dims: srcDims, tag: dnnl_nchw, chosen: q(pd, dnnl_query_diff_src_md))
            e.slots = [dd, w, ds]
        case .backwardWeights:
            var op = dnnl_convolution_desc_t()
            if k.bias {
                check(dnnl_convolution_backward_weights_desc_init(&op, alg, &anySrc, &anyW, &bias, &anyDst, &strides, &padL, &padR),
                      "backward-weights descriptor")
            } else {
                check(dnnl_convolution_backward_weights_desc_init(&op, alg, &anySrc, &anyW, nil, &anyDst, &strides, &padL, &padR),
                      "backward-weights descriptor")
            }
            let pd = device.primitiveDescriptor(&op, relu: false, hint: fpd, "backward-weights primitive descriptor")
            defer { dnnl_primitive_desc_destroy(pd) }
            check(dnnl_primitive_create(&e.primitive, pd), "backward-weights primitive")
            let src = Slot(.src, output: false), dd = Slot(.diffDst, output: false), dw = Slot(.diffWeights, output: true)
            bind(src, dims: srcDims, tag: dnnl_nchw, chosen: q(pd, dnnl_query_src_md))
            bind(dd, dims: dstDims, tag: dnnl_nchw, chosen: q(pd, dnnl_query_diff_dst_md))
            bind(dw, dims: wDims, tag: dnnl_oihw, chosen: q(pd, dnnl_query_diff_weights_md))
            e.slots = [src, dd, dw]
            if k.bias { let db = Slot(.diffBias, output: true); bind(db, dims: [k.o], tag: dnnl_x, chosen: nil); e.slots.append(db) }
        }
        return e
    }

    private func execute(_ p: dnnl_primitive_t?, _ args: [dnnl_exec_arg_t], _ what: String) { device.execute(p, args, what) }

    /// Runs one pass; `buffers` gives the caller's plain buffer for every argument of the pass (inputs are read,
    /// outputs overwritten).
    func run(_ key: Key, _ buffers: [Arg: UnsafeRawPointer]) {
        lock.lock()
        defer { lock.unlock() }
        let e: Entry
        if let hit = cache[key] { e = hit } else { e = makeEntry(key); cache[key] = e }
        for s in e.slots {
            guard let p = buffers[s.arg] else { fatalError("oneDNN convolution: no buffer for argument \(s.arg)") }
            dnnl_memory_set_data_handle(s.user, UnsafeMutableRawPointer(mutating: p))
        }
        for s in e.slots where !s.output {
            if let r = s.reorder { execute(r, [dnnl_exec_arg_t(arg: 1, memory: s.user), dnnl_exec_arg_t(arg: 17, memory: s.inner)], "reorder") }
        }
        execute(e.primitive, e.slots.map { dnnl_exec_arg_t(arg: $0.arg.rawValue, memory: $0.inner) }, "convolution")
        for s in e.slots where s.output {
            if let r = s.reorder { execute(r, [dnnl_exec_arg_t(arg: 1, memory: s.inner), dnnl_exec_arg_t(arg: 17, memory: s.user)], "reorder") }
        }
        device.wait()
    }

    /// Number of cached primitives (tests, benchmarks).
    var cachedPrimitives: Int { lock.lock(); defer { lock.unlock() }; return cache.count }
}

extension Tensor {
    /// Inference convolution on oneDNN's convolution primitive (no gradient is recorded): `self` [B, C, H, W],
    /// `weight` [O, C, kH, kW], `bias` [O], zero padding (top, left, bottom, right), optional fused ReLU.
    /// Output [B, O, (H + top + bottom − kH)/s + 1, (W + left + right − kW)/s + 1]. Same values as `conv2d` (up to
    /// summation order).
    public func conv2dInference(_ weight: Tensor, _ bias: Tensor? = nil, stride: Int = 1,
                                padding: (top: Int, left: Int, bottom: Int, right: Int) = (0, 0, 0, 0), relu: Bool = false) -> Tensor {
        precondition(rank == 4 && weight.rank == 4 && shape[1] == weight.shape[1],
                     "conv2dInference: input \(shape) and weight \(weight.shape) ([O, C, kH, kW]) do not match")
        if let bias { precondition(bias.shape == [weight.shape[0]], "conv2dInference: bias \(bias.shape) ≠ [\(weight.shape[0])]") }
        let key = OneDNNConvolution.Key(pass: .inference, n: shape[0], c: shape[1], h: shape[2], w: shape[3], o: weight.shape[0],
                                        kh: weight.shape[2], kw: weight.shape[3], stride: stride, top: padding.top, left: padding.left,
                                        bottom: padding.bottom, right: padding.right, bias: bias != nil, relu: relu)
        precondition(stride > 0 && key.outH > 0 && key.outW > 0, "conv2dInference: kernel \(weight.shape) larger than padded input \(shape)")
        let out = Tensor(uninitialized: [shape[0], weight.shape[0], key.outH, key.outW])
        if out.count == 0 { return out }
        var buffers: [OneDNNConvolution.Arg: UnsafeRawPointer] = [.src: UnsafeRawPointer(data), .weights: UnsafeRawPointer(weight.data),
                                                                  .dst: UnsafeRawPointer(out.data)]
        if let bias { buffers[.bias] = UnsafeRawPointer(bias.data) }
        OneDNNConvolution.shared.run(key, buffers)
        return out
    }
}
