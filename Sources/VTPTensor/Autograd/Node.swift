import Foundation

/// One recorded operation in the autograd graph: the op (with what its gradient rule needs) and the nodes
/// of its inputs. Nodes are created in execution order, so `sequence` is a topological order.
public final class Node: @unchecked Sendable {
    public let op: Op
    let inputs: [Node?]
    let sequence: Int
    /// For leaves that stand for a trainable parameter: where the gradient is accumulated.
    weak var parameter: Parameter?

    nonisolated(unsafe) private static var counter = 0
    private static let lock = NSLock()

    init(op: Op, inputs: [Node?], parameter: Parameter? = nil) {
        self.op = op
        self.inputs = inputs
        self.parameter = parameter
        Node.lock.lock()
        Node.counter += 1
        sequence = Node.counter
        Node.lock.unlock()
    }
}

/// Whether operations record autograd nodes (per thread; on by default).
public enum GradMode {
    private static let key = "VTPTensor.GradMode.disabled"

    public static var isEnabled: Bool {
        Thread.current.threadDictionary[key] == nil
    }

    /// Runs `body` without recording (inference, optimizer updates, gradient rules).
    @discardableResult
    public static func withoutGrad<R>(_ body: () throws -> R) rethrows -> R {
        let dict = Thread.current.threadDictionary
        let was = dict[key]
        dict[key] = true
        defer { dict[key] = was }
        return try body()
    }
}

/// Runs `body` without recording autograd nodes.
@discardableResult
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R { try GradMode.withoutGrad(body) }

/// A trainable tensor: its value (a leaf of the autograd graph when `requiresGrad`) and accumulated gradient.
public final class Parameter: @unchecked Sendable {
    /// The current value. Assigning a new tensor keeps the parameter a graph leaf.
    public var value: Tensor {
        get { stored }
        set { stored = newValue; attach() }
    }
    private var stored: Tensor
    /// Sum of the gradients of every `backward()` since the last `zeroGrad()`.
    public var grad: Tensor?
    /// Frozen parameters (`false`) get no gradient.
    public var requiresGrad: Bool { didSet { attach() } }

    public init(_ value: Tensor, requiresGrad: Bool = true) {
        self.stored = value
        self.requiresGrad = requiresGrad
        attach()
    }

    public var shape: [Int] { value.shape }

    private func attach() {
        if requiresGrad, stored.node?.parameter === self { return }
        stored.node = requiresGrad ? Node(op: .leaf, inputs: [], parameter: self) : nil
    }

    func accumulate(_ g: Tensor) {
        precondition(g.shape == value.shape, "gradient shape \(g.shape) does not match parameter \(value.shape)")
        if let old = grad { grad = withNoGrad { old + g } } else { grad = g.detached() }
    }

    public func zeroGrad() { grad = nil }
}

extension Tensor {
    /// A copy of this tensor's handle that is a fresh autograd leaf, so that `backward()` reports its gradient.
    public func requiringGrad() -> Tensor {
        var t = detached()
        t.node = Node(op: .leaf, inputs: [])
        return t
    }

    /// Attaches a node for `op` to `out` when recording and any input requires a gradient.
    @inline(__always)
    static func record(_ out: inout Tensor, _ inputs: [Tensor], _ op: @autoclosure () -> Op) {
        if Profiler.isEnabled { Profiler.forward(op().name) }
        guard inputs.contains(where: { $0.node != nil }), GradMode.isEnabled else { return }
        out.node = Node(op: op(), inputs: inputs.map { $0.node })
    }
}

/// The gradients of one `backward()` call, looked up by tensor.
public struct Gradients {
    var byNode: [ObjectIdentifier: Tensor]

    /// The gradient of the loss with respect to `t` (`nil` if `t` does not influence it).
    public subscript(_ t: Tensor) -> Tensor? {
        guard let n = t.node else { return nil }
        return byNode[ObjectIdentifier(n)]
    }
}

extension Tensor {
    /// Reverse-mode differentiation from this tensor.
    ///
    /// Seeds the output gradient with `seed` (ones by default), runs every recorded rule in reverse creation
    /// order, accumulates into `Parameter.grad` and returns the gradients of all leaves.
    @discardableResult
    public func backward(seed: Tensor? = nil) -> Gradients {
        guard let root = node else { return Gradients(byNode: [:]) }
        // Collect the reachable graph.
        var seen = Set<ObjectIdentifier>()
        var order: [Node] = []
        var stack = [root]
        while let n = stack.popLast() {
            if !seen.insert(ObjectIdentifier(n)).inserted { continue }
            order.append(n)
            for case let i? in n.inputs { stack.append(i) }
        }
        order.sort { $0.sequence > $1.sequence }
        var grads: [ObjectIdentifier: Tensor] = [:]
        let start = seed ?? Tensor.ones(shape)
        precondition(start.shape == shape, "backward: seed shape \(start.shape) differs from output \(shape)")
        grads[ObjectIdentifier(root)] = start.detached()
        Profiler.inBackward = true
        defer {
            Profiler.inBackward = false
            Profiler.last = Profiler.now()  // the next forward op is timed from here, not from before the backward
        }
        withNoGrad {
            for n in order {
                let id = ObjectIdentifier(n)
                guard let g = grads[id] else { continue }
                if case .leaf = n.op {
                    n.parameter?.accumulate(g)
                    continue
                }
                grads[id] = nil  // intermediate gradients are not kept
                let t0 = Profiler.isEnabled ? Profiler.now() : 0
                let inGrads = GradientRules.vjp(n.op, g, needs: n.inputs.map { $0 != nil })
                if Profiler.isEnabled { Profiler.add("backward " + n.op.name, Profiler.now() - t0) }
                precondition(inGrads.count == n.inputs.count, "gradient rule for \(n.op.name) returned \(inGrads.count) gradients for \(n.inputs.count) inputs")
                for (input, gi) in zip(n.inputs, inGrads) {
                    guard let input, let gi else { continue }
                    let k = ObjectIdentifier(input)
                    if let old = grads[k] { grads[k] = old + gi } else { grads[k] = gi }
                }
            }
        }
        return Gradients(byNode: grads)
    }
}
