import CDNNL
import Foundation

/// oneDNN forward-inference convolution primitives, created once per problem and cached (as `OneDNN` caches
/// matmuls). oneDNN picks the layouts it computes fastest in (blocked, e.g. nChw16c on AVX-512); the plain NCHW /
/// OIHW tensors are reordered into them and the result back, inside the cached entry. Bias and a fused ReLU post-op
/// are applied by the primitive.
final class OneDNNConvolution: @unchecked Sendable {
    static let shared = OneDNNConvolution()

    struct Key: Hashable {
        var n: Int, c: Int, h: Int, w: Int, o: Int, kh: Int, kw: Int, stride: Int
        var top: Int, left: Int, bottom: Int, right: Int
        var bias: Bool, relu: Bool
        var outH: Int { (h + top + bottom - kh) / stride + 1 }
        var outW: Int { (w + left + right - kw) / stride + 1 }
    }

    /// A primitive and its memories: `user*` wrap the caller's NCHW/OIHW buffers, `conv*` are oneDNN's layouts
    /// (the same object when no reorder is needed).
    final class Entry {
        var conv: dnnl_primitive_t?
        var userSrc: dnnl_memory_t?, userWeights: dnnl_memory_t?, userDst: dnnl_memory_t?, bias: dnnl_memory_t?
        var convSrc: dnnl_memory_t?, convWeights: dnnl_memory_t?, convDst: dnnl_memory_t?
        var srcReorder: dnnl_primitive_t?, weightsReorder: dnnl_primitive_t?, dstReorder: dnnl_primitive_t?
    }

    private var engine: dnnl_engine_t?
    private var stream: dnnl_stream_t?
    private var cache: [Key: Entry] = [:]
    private let lock = NSLock()

    private init() {
        check(dnnl_engine_create(&engine, dnnl_cpu, 0), "engine")
        check(dnnl_stream_create(&stream, engine, UInt32(dnnl_stream_default_flags.rawValue)), "stream")
    }

    private func check(_ s: dnnl_status_t, _ what: String) {
        if s != dnnl_success { fatalError("oneDNN convolution: \(what) failed with status \(s.rawValue)") }
    }

    private func plain(_ dims: [Int64], _ tag: dnnl_format_tag_t) -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        var d = dims
        check(dnnl_memory_desc_init_by_tag(&md, Int32(dims.count), &d, dnnl_f32, tag), "memory descriptor")
        return md
    }

    /// A memory in `chosen` layout and the reorder into (`toChosen`) or out of it, or the user memory itself when the
    /// layouts agree.
    private func layout(user: dnnl_memory_t?, userMD: UnsafePointer<dnnl_memory_desc_t>, chosen: UnsafePointer<dnnl_memory_desc_t>,
                        toChosen: Bool) -> (dnnl_memory_t?, dnnl_primitive_t?) {
        if dnnl_memory_desc_equal(userMD, chosen) != 0 { return (user, nil) }
        var mem: dnnl_memory_t?
        check(dnnl_memory_create(&mem, chosen, engine, UnsafeMutableRawPointer(bitPattern: -1)), "memory")  // DNNL_MEMORY_ALLOCATE
        var rpd: dnnl_primitive_desc_t?
        if toChosen {
            check(dnnl_reorder_primitive_desc_create(&rpd, userMD, engine, chosen, engine, nil), "reorder descriptor")
        } else {
            check(dnnl_reorder_primitive_desc_create(&rpd, chosen, engine, userMD, engine, nil), "reorder descriptor")
        }
        defer { dnnl_primitive_desc_destroy(rpd) }
        var reorder: dnnl_primitive_t?
        check(dnnl_primitive_create(&reorder, rpd), "reorder")
        return (mem, reorder)
    }

    private func makeEntry(_ k: Key) -> Entry {
        let (n, c, h, w, o) = (Int64(k.n), Int64(k.c), Int64(k.h), Int64(k.w), Int64(k.o))
        var src = plain([n, c, h, w], dnnl_nchw), weights = plain([o, c, Int64(k.kh), Int64(k.kw)], dnnl_oihw)
        var dst = plain([n, o, Int64(k.outH), Int64(k.outW)], dnnl_nchw), bias = plain([o], dnnl_x)
        var anySrc = plain([n, c, h, w], dnnl_format_tag_any), anyWeights = plain([o, c, Int64(k.kh), Int64(k.kw)], dnnl_format_tag_any)
        var anyDst = plain([n, o, Int64(k.outH), Int64(k.outW)], dnnl_format_tag_any)
        var strides: [Int64] = [Int64(k.stride), Int64(k.stride)]
        var padL: [Int64] = [Int64(k.top), Int64(k.left)], padR: [Int64] = [Int64(k.bottom), Int64(k.right)]
        var op = dnnl_convolution_desc_t()
        if k.bias {
            check(dnnl_convolution_forward_desc_init(&op, dnnl_forward_inference, dnnl_convolution_direct, &anySrc, &anyWeights,
                                                     &bias, &anyDst, &strides, &padL, &padR), "convolution descriptor")
        } else {
            check(dnnl_convolution_forward_desc_init(&op, dnnl_forward_inference, dnnl_convolution_direct, &anySrc, &anyWeights,
                                                     nil, &anyDst, &strides, &padL, &padR), "convolution descriptor")
        }
        var attr: dnnl_primitive_attr_t?
        check(dnnl_primitive_attr_create(&attr), "attr")
        defer { dnnl_primitive_attr_destroy(attr) }
        if k.relu {
            var po: dnnl_post_ops_t?
            check(dnnl_post_ops_create(&po), "post-ops")
            check(dnnl_post_ops_append_eltwise(po, 1, dnnl_eltwise_relu, 0, 0), "ReLU post-op")
            check(dnnl_primitive_attr_set_post_ops(attr, po), "set post-ops")
            dnnl_post_ops_destroy(po)
        }
        var pd: dnnl_primitive_desc_t?
        check(dnnl_primitive_desc_create(&pd, &op, attr, engine, nil), "convolution primitive descriptor")
        defer { dnnl_primitive_desc_destroy(pd) }
        let e = Entry()
        check(dnnl_primitive_create(&e.conv, pd), "convolution primitive")
        let none = UnsafeMutableRawPointer(bitPattern: 0)
        check(dnnl_memory_create(&e.userSrc, &src, engine, none), "memory")
        check(dnnl_memory_create(&e.userWeights, &weights, engine, none), "memory")
        check(dnnl_memory_create(&e.userDst, &dst, engine, none), "memory")
        if k.bias { check(dnnl_memory_create(&e.bias, &bias, engine, none), "memory") }
        (e.convSrc, e.srcReorder) = layout(user: e.userSrc, userMD: &src, chosen: dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0), toChosen: true)
        (e.convWeights, e.weightsReorder) = layout(user: e.userWeights, userMD: &weights,
                                                   chosen: dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), toChosen: true)
        (e.convDst, e.dstReorder) = layout(user: e.userDst, userMD: &dst, chosen: dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0), toChosen: false)
        return e
    }

    private func execute(_ p: dnnl_primitive_t?, _ args: [dnnl_exec_arg_t], _ what: String) {
        var a = args
        check(dnnl_primitive_execute(p, stream, Int32(a.count), &a), what)
    }

    /// dst [N, O, oH, oW] = conv(src [N, C, H, W], weights [O, C, kH, kW]) + bias [O], ReLU if asked.
    func run(_ key: Key, src: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
             dst: UnsafeMutablePointer<Float>) {
        lock.lock()
        defer { lock.unlock() }
        let e: Entry
        if let hit = cache[key] { e = hit } else { e = makeEntry(key); cache[key] = e }
        dnnl_memory_set_data_handle(e.userSrc, UnsafeMutableRawPointer(mutating: src))
        dnnl_memory_set_data_handle(e.userWeights, UnsafeMutableRawPointer(mutating: weights))
        dnnl_memory_set_data_handle(e.userDst, dst)
        // DNNL_ARG_SRC / FROM = 1, DNNL_ARG_DST / TO = 17, DNNL_ARG_WEIGHTS = 33, DNNL_ARG_BIAS = 41.
        if let r = e.srcReorder { execute(r, [dnnl_exec_arg_t(arg: 1, memory: e.userSrc), dnnl_exec_arg_t(arg: 17, memory: e.convSrc)], "reorder") }
        if let r = e.weightsReorder {
            execute(r, [dnnl_exec_arg_t(arg: 1, memory: e.userWeights), dnnl_exec_arg_t(arg: 17, memory: e.convWeights)], "reorder")
        }
        var args = [dnnl_exec_arg_t(arg: 1, memory: e.convSrc), dnnl_exec_arg_t(arg: 33, memory: e.convWeights),
                    dnnl_exec_arg_t(arg: 17, memory: e.convDst)]
        if key.bias, let bias {
            dnnl_memory_set_data_handle(e.bias, UnsafeMutableRawPointer(mutating: bias))
            args.append(dnnl_exec_arg_t(arg: 41, memory: e.bias))
        }
        execute(e.conv, args, "convolution")
        if let r = e.dstReorder { execute(r, [dnnl_exec_arg_t(arg: 1, memory: e.convDst), dnnl_exec_arg_t(arg: 17, memory: e.userDst)], "reorder") }
        check(dnnl_stream_wait(stream), "stream wait")
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
        let key = OneDNNConvolution.Key(n: shape[0], c: shape[1], h: shape[2], w: shape[3], o: weight.shape[0], kh: weight.shape[2],
                                        kw: weight.shape[3], stride: stride, top: padding.top, left: padding.left,
                                        bottom: padding.bottom, right: padding.right, bias: bias != nil, relu: relu)
        precondition(stride > 0 && key.outH > 0 && key.outW > 0, "conv2dInference: kernel \(weight.shape) larger than padded input \(shape)")
        let out = Tensor(uninitialized: [shape[0], weight.shape[0], key.outH, key.outW])
        if out.count == 0 { return out }
        OneDNNConvolution.shared.run(key, src: data, weights: weight.data, bias: bias?.data, dst: out.data)
        return out
    }
}
