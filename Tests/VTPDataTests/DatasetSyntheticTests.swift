import Foundation
import Testing
@testable import VTPData

@Suite("Dataset: SyntheticScenes")
struct DatasetSyntheticTests {
    @Test func deterministicPerSeedAndIndex() throws {
        let a = SyntheticScenes(count: 50, size: 48, seed: 3)
        let b = SyntheticScenes(count: 50, size: 48, seed: 3)
        let c = SyntheticScenes(count: 50, size: 48, seed: 4)
        for i in [0, 7, 49] {
            #expect(try a.sample(i) == (try b.sample(i)))
        }
        let differs = (0..<10).filter { i in (try? a.sample(i).image) != (try? c.sample(i).image) }.count
        #expect(differs == 10)
        #expect(Set((0..<50).map { a.scene($0).caption }).count > 35)
        #expect(throws: DatasetError.self) { try a.sample(50) }
    }

    @Test func captionsDescribeTheLayout() throws {
        let ds = SyntheticScenes(count: 400, size: 64, seed: 11)
        let shapes = SyntheticScenes.Shape.allCases, colours = SyntheticScenes.Colour.allCases
        var kinds = [0, 0, 0]
        for i in 0..<ds.count {
            let scene = ds.scene(i)
            let words = scene.caption.split(separator: " ").map(String.init)
            #expect((1...3).contains(scene.objects.count))
            let subject = scene.objects[scene.subject]
            // Caption starts with the subject: article/number, optional size, colour, shape.
            var k = 1
            if words[k] == "small" || words[k] == "large" {
                #expect(words[k] == (subject.large ? "large" : "small"))
                k += 1
            }
            #expect(words[k] == subject.colour.rawValue)
            let sameAsSubject = scene.objects.filter { $0.shape == subject.shape && $0.colour == subject.colour }.count
            switch words[0] {
            case "a", "an":
                #expect(words[k + 1] == subject.shape.rawValue)
            case "two":
                #expect(words[k + 1] == subject.shape.plural)
                #expect(sameAsSubject == 2)
            case "three":
                #expect(words[k + 1] == subject.shape.plural && sameAsSubject == 3)
            default:
                Issue.record("caption '\(scene.caption)' starts oddly")
            }
            #expect(words[0] != "an" || "aeiou".contains(words[1].first!))
            let relation = SyntheticScenes.Relation.allCases.first { scene.caption.contains(" \($0.rawValue) ") }
            if let relation {
                kinds[2] += 1
                let reference = scene.objects.last!
                #expect(scene.caption.hasSuffix(reference.colour.rawValue + " " + reference.shape.rawValue))
                for object in scene.objects.dropLast() {
                    switch relation {
                    case .leftOf: #expect(object.x < reference.x)
                    case .rightOf: #expect(object.x > reference.x)
                    case .above: #expect(object.y < reference.y)
                    case .below: #expect(object.y > reference.y)
                    }
                }
            } else if scene.objects.count == 1 {
                kinds[0] += 1
                let o = scene.objects[0], s = Float(ds.size)
                if scene.caption.hasSuffix("on the left") { #expect(o.x < 0.35 * s) }
                if scene.caption.hasSuffix("on the right") { #expect(o.x > 0.65 * s) }
                if scene.caption.hasSuffix("at the top") { #expect(o.y < 0.35 * s) }
                if scene.caption.hasSuffix("at the bottom") { #expect(o.y > 0.65 * s) }
            } else {
                kinds[1] += 1
            }
            #expect(scene.label == colours.firstIndex(of: subject.colour)! * shapes.count + shapes.firstIndex(of: subject.shape)!)
            #expect(ds.classNames![scene.label] == "\(subject.colour.rawValue) \(subject.shape.rawValue)")
        }
        #expect(kinds.allSatisfy { $0 > 60 })
    }

    @Test func singleObjectScenesAndLabelKinds() throws {
        let ds = SyntheticScenes(count: 100, size: 32, seed: 1, maxObjects: 1, labelKind: .shape)
        #expect(ds.classNames == ["circle", "square", "triangle", "diamond", "star", "hexagon"])
        for i in 0..<100 {
            let scene = ds.scene(i)
            #expect(scene.objects.count == 1)
            #expect(ds.classNames![scene.label] == scene.objects[0].shape.rawValue)
        }
        let colour = SyntheticScenes(count: 10, seed: 1, labelKind: .colour)
        #expect(colour.classNames!.count == 8)
        #expect(colour.classNames![try colour.sample(0).label!] == colour.scene(0).objects[0].colour.rawValue)
    }

    @Test func renderingDrawsAntialiasedShapesInTheirColours() throws {
        let ds = SyntheticScenes(count: 200, size: 64, seed: 5)
        var checked = 0
        for i in 0..<ds.count {
            let scene = ds.scene(i)
            let image = SceneRenderer.render(scene, size: ds.size)
            #expect(image.width == 64 && image.height == 64)
            // Objects drawn last are on top: check the centre of the last object (fully covered for every
            // shape, since all contain their centre).
            let o = scene.objects.last!
            let p = image.pixel(x: Int(o.x), y: Int(o.y))
            let d = abs(Int(p.r) - Int(o.rgb[0])) + abs(Int(p.g) - Int(o.rgb[1])) + abs(Int(p.b) - Int(o.rgb[2]))
            #expect(d <= 6, "scene \(i): centre pixel \(p) vs colour \(o.rgb)")
            checked += 1
        }
        #expect(checked == 200)
        // Anti-aliasing: a plain background with one large circle has intermediate edge values.
        let circle = SyntheticScenes.Object(shape: .circle, colour: .black, large: true, x: 16, y: 16, radius: 10,
                                            rotation: 0, rgb: [0, 0, 0])
        let scene = SyntheticScenes.Scene(objects: [circle], backgroundRGB: [200, 200, 200], background: .plain,
                                          caption: "", label: 0, subject: 0)
        let img = SceneRenderer.render(scene, size: 32)
        let values = Set(stride(from: 0, to: img.pixels.count, by: 3).map { img.pixels[$0] })
        #expect(values.contains(0) && values.contains(200))
        #expect(values.filter { $0 > 0 && $0 < 200 }.count >= 5)
        // Coverage is ~ the circle's area (radius 0.9·10).
        let dark = stride(from: 0, to: img.pixels.count, by: 3).reduce(0.0) { $0 + Double(200 - Int(img.pixels[$1])) / 200 }
        #expect(abs(dark - Double.pi * 81) < 2)
    }

    @Test func polygonDistanceIsSigned() {
        let square: [SIMD2<Float>] = [SIMD2(0, 0), SIMD2(10, 0), SIMD2(10, 10), SIMD2(0, 10)]
        square.withUnsafeBufferPointer { v in
            #expect(abs(SceneRenderer.polygonDistance(SIMD2(5, 5), v) + 5) < 1e-5)
            #expect(abs(SceneRenderer.polygonDistance(SIMD2(13, 5), v) - 3) < 1e-5)
            #expect(abs(SceneRenderer.polygonDistance(SIMD2(13, 14), v) - 5) < 1e-5)
        }
    }
}
