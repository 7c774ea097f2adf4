import Testing
import VTPTensor

@Suite struct PoolingTests {
    /// The 2×2 stride-2 path on a hand-checked plane: maxima and where the gradient goes (the first maximum of
    /// each window in row-major order wins ties).
    @Test func maxPoolTwoByTwoKnownAnswer() {
        let x = Tensor([1, 5, 2, 2,
                        3, 0, 2, 2,
                        -1, -2, 7, 9,
                        -3, -1, 9, 8], shape: [1, 1, 4, 4]).requiringGrad()
        let y = x.maxPool2d(kernel: 2)
        #expect(y.shape == [1, 1, 2, 2])
        #expect(y.scalars == [5, 2, -1, 9])
        let g = y.backward(seed: Tensor([1, 2, 3, 4], shape: [1, 1, 2, 2]))[x]!
        #expect(g.scalars == [0, 1, 2, 0,
                              0, 0, 0, 0,
                              3, 0, 0, 4,
                              0, 0, 0, 0])
    }
}
