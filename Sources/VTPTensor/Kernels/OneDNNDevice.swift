import CDNNL

/// oneDNN's CPU engine with one stream on it, the status check and the F32 memory descriptors that every primitive
/// family here (matmul, convolution, blocked inference) uses. A failing oneDNN call on shapes our code built is a
/// programming error, not a user-input error, hence the `fatalError`.
struct OneDNNDevice {
    let engine: dnnl_engine_t?
    let stream: dnnl_stream_t?
    /// The primitive family, for messages.
    let family: String

    init(_ family: String) {
        self.family = family
        var engine: dnnl_engine_t?, stream: dnnl_stream_t?
        Self.check(dnnl_engine_create(&engine, dnnl_cpu, 0), family, "engine")
        Self.check(dnnl_stream_create(&stream, engine, UInt32(dnnl_stream_default_flags.rawValue)), family, "stream")
        (self.engine, self.stream) = (engine, stream)
    }

    private static func check(_ s: dnnl_status_t, _ family: String, _ what: String) {
        if s != dnnl_success { fatalError("oneDNN \(family): \(what) failed with status \(s.rawValue)") }
    }

    func check(_ s: dnnl_status_t, _ what: String) { Self.check(s, family, what) }

    /// A dense F32 descriptor of `dims` in the layout `tag` (plain, blocked or `dnnl_format_tag_any`).
    func md(_ dims: [Int], _ tag: dnnl_format_tag_t) -> dnnl_memory_desc_t {
        var m = dnnl_memory_desc_t()
        var d = dims.map(Int64.init)
        check(dnnl_memory_desc_init_by_tag(&m, Int32(dims.count), &d, dnnl_f32, tag), "memory descriptor")
        return m
    }

    /// The primitive descriptor of the operation descriptor `op` (a convolution, pooling, … descriptor), with a fused
    /// ReLU post-op when `relu`; the caller destroys it.
    func primitiveDescriptor(_ op: UnsafeRawPointer, relu: Bool, hint: dnnl_primitive_desc_t? = nil, _ what: String) -> dnnl_primitive_desc_t? {
        var attr: dnnl_primitive_attr_t?
        check(dnnl_primitive_attr_create(&attr), "attr")
        defer { dnnl_primitive_attr_destroy(attr) }
        if relu {
            var po: dnnl_post_ops_t?
            check(dnnl_post_ops_create(&po), "post-ops")
            check(dnnl_post_ops_append_eltwise(po, 1, dnnl_eltwise_relu, 0, 0), "ReLU post-op")
            check(dnnl_primitive_attr_set_post_ops(attr, po), "set post-ops")
            dnnl_post_ops_destroy(po)
        }
        var pd: dnnl_primitive_desc_t?
        check(dnnl_primitive_desc_create(&pd, op, attr, engine, hint), what)
        return pd
    }

    /// Runs `primitive` with `args` on the stream (no wait).
    func execute(_ primitive: dnnl_primitive_t?, _ args: [dnnl_exec_arg_t], _ what: String) {
        var a = args
        check(dnnl_primitive_execute(primitive, stream, Int32(a.count), &a), what)
    }

    func wait() { check(dnnl_stream_wait(stream), "stream wait") }
}
