import Testing
@testable import VTPTensor

@Suite struct RNGTests {
    @Test func sameSeedSameStreamAndKnownFirstValues() {
        var a = RNG(seed: 42), b = RNG(seed: 42)
        for _ in 0..<100 { #expect(a.next() == b.next()) }
        // SplitMix64(0) first output is the published value 0xE220A8397B1DCDAF.
        var sm: UInt64 = 0
        #expect(RNG.splitMix(&sm) == 0xE220_A839_7B1D_CDAF)
    }

    @Test func splitGivesIndependentStreams() {
        var parent = RNG(seed: 1)
        var child = parent.split()
        let p = (0..<8).map { _ in parent.next() }, c = (0..<8).map { _ in child.next() }
        #expect(p != c)
        var again = RNG(seed: 1)
        _ = again.split()
        #expect((0..<8).map { _ in again.next() } == p)
    }

    @Test func distributionsHaveExpectedMoments() {
        var r = RNG(seed: 3)
        let n = 200_000
        var s = 0.0, s2 = 0.0, u = 0.0, tn = 0.0, tnMax: Float = 0, hits = 0
        for _ in 0..<n {
            let z = Double(r.normal()); s += z; s2 += z * z
            u += Double(r.uniform())
            let t = r.truncatedNormal(std: 0.02); tn += Double(t); tnMax = max(tnMax, abs(t))
            if r.bernoulli(0.3) { hits += 1 }
        }
        #expect(abs(s / Double(n)) < 0.01)
        #expect(abs(s2 / Double(n) - 1) < 0.02)
        #expect(abs(u / Double(n) - 0.5) < 0.005)
        #expect(tnMax <= 0.04)
        #expect(abs(Double(hits) / Double(n) - 0.3) < 0.005)
        let perm = r.permutation(100)
        #expect(perm.sorted() == Array(0..<100) && perm != Array(0..<100))
    }

    @Test func stateRoundTrips() {
        var a = RNG(seed: 9)
        _ = a.next()
        var b = RNG(state: a.stateWords)
        #expect(a.next() == b.next())
    }
}
