import Foundation
import Testing
@testable import VTPTraining

/// The config machinery on its own (tree, overrides, defaults-filling decoder, writer), with sections declared
/// here as any future config (e.g. the DiT trainer's) would declare them, and the structural check that every
/// field of every `TrainConfig` section is read and written.
@Suite struct ConfigMachineryTests {
    struct Sampling: Codable, Equatable {
        var steps = 250
        var cfgScale = 4.0
        var classLabels = [1, 2]
        var seed: Int? = 7
        var output = Output()
    }

    struct Output: Codable, Equatable {
        var outputDir = "out"
        var minLR = 1e-6
    }

    private func read(_ yaml: String, _ overrides: [String] = []) throws -> Sampling {
        var tree = try ConfigValue(yaml: yaml)
        for o in overrides { try ConfigOverride(parsing: o).apply(to: &tree) }
        return try tree.decode(defaults: Sampling())
    }

    @Test func keysAreSnakeCase() throws {
        #expect(configKey("minLR") == "min_lr" && configKey("outputDir") == "output_dir")
        #expect(configKey("localCropsNumber") == "local_crops_number" && configKey("URLPath") == "url_path")
        #expect(configKey("vision_patch_size") == "vision_patch_size" && configKey("lr") == "lr")
        #expect(try ConfigValue(encoding: Sampling()).keys == ["steps", "cfg_scale", "class_labels", "seed", "output"])
        #expect(try ConfigValue(encoding: Output()).keys == ["output_dir", "min_lr"])
    }

    @Test func absentKeysTakeTheDefaultsAndNullRestoresThem() throws {
        #expect(try read("") == Sampling())
        var expected = Sampling()
        expected.steps = 1000
        expected.output.outputDir = "x"
        #expect(try read("steps: 1e3\noutput: {output_dir: x}") == expected)
        // null: a plain field goes back to its default, an optional one is cleared.
        let s = try read("steps: 5\ncfg_scale: 2\nseed: 3", ["steps=null", "seed=null", "output=null"])
        #expect(s.steps == 250 && s.cfgScale == 2 && s.seed == nil && s.output == Output())
    }

    @Test func overridesChangeTheTreeBeforeTheOneDecode() throws {
        let s = try read("output:\n  min_lr: 0.5\n", ["cfg_scale=1.5", "class_labels=3, 4", "output.min_lr=null", "output.output_dir=/r"])
        #expect(s.cfgScale == 1.5 && s.classLabels == [3, 4] && s.output.minLR == 1e-6 && s.output.outputDir == "/r")
        // A later override wins; sections that the file lacks are created.
        #expect(try read("", ["output.output_dir=a", "output.output_dir=b"]).output.outputDir == "b")
        // A wrong value in the file that an override replaces is never read.
        #expect(try read("steps: many", ["steps=3"]).steps == 3)
    }

    @Test func errorsNameTheLineOrTheOverride() {
        func message(_ yaml: String, _ overrides: [String] = []) -> String {
            do { _ = try read(yaml, overrides); return "" } catch { return "\(error)" }
        }
        #expect(message("steps: 3\noutput:\n  outpt_dir: x\n")
                == "unknown key 'outpt_dir' in 'output' (line 3); did you mean 'output_dir'? (valid keys: output_dir, min_lr)")
        #expect(message("class_labels: [1, x]") == "'class_labels[1]' (line 1) must be an integer, found 'x'")
        #expect(message("", ["output.min_lr=low"]) == "override 'output.min_lr=low': 'output.min_lr' must be a number, found 'low'")
        #expect(message("", ["output.min_lr.x=1"]).hasPrefix("override 'output.min_lr.x=1': 'output.min_lr' must be a single value"))
        #expect(message("steps: 3", ["steps.x=1"]) == "override 'steps.x=1': 'steps' is '3', not a section with keys")
        #expect(message("", ["stpes=1"]).contains("did you mean 'steps'"))
        #expect(message("", ["steps=\"3\""]).contains("'steps' must be an integer"))  // quoted: a string, never a number
    }

    @Test func writesTheTreeItReads() throws {
        var s = Sampling()
        s.output.outputDir = "a: b"
        s.seed = nil
        let yaml = try ConfigValue(encoding: s).yaml()
        #expect(yaml == """
        steps: 250
        cfg_scale: 4.0
        class_labels: [1, 2]
        seed: null
        output:
          output_dir: "a: b"
          min_lr: 1.0e-06

        """)
        #expect(try read(yaml) == s)
    }

    /// Adding a field to a section touches only its declaration: every field of every section (found from the
    /// default config's tree, not listed here) is given a non-default value, read, written by `resolvedYAML()` and
    /// read back unchanged.
    @Test func everyFieldRoundTripsThroughResolvedYAML() throws {
        let defaults = try ConfigValue(encoding: TrainConfig())
        // Every stored property of every section is a key of its tree (the model section, which writes what it was
        // given, aside).
        func checkKeys(_ value: Any, _ tree: ConfigValue, _ path: String) {
            let fields = Mirror(reflecting: value).children
            #expect(fields.compactMap(\.label).map(configKey) == tree.keys, "the fields of \(path) are not its keys")
            for f in fields {
                guard let label = f.label, label != "model", let sub = tree[configKey(label)], case .map = sub.kind else { continue }
                checkKeys(f.value, sub, path + "." + configKey(label))
            }
        }
        checkKeys(TrainConfig(), defaults, "the config")
        var changed = defaults
        var leaves: [[String]] = []
        func perturb(_ v: inout ConfigValue, _ path: [String]) {
            switch v.kind {
            case .map(var entries):
                for i in entries.indices { perturb(&entries[i].value, path + [entries[i].key]) }
                v.kind = .map(entries)
            case .list(var items):
                if items.isEmpty { items = [ConfigValue(.scalar("added", plain: false))] } else {
                    for i in items.indices { perturb(&items[i], path + ["\(i)"]) }
                }
                v.kind = .list(items)
                leaves.append(path)
            case .scalar(let s, _):
                leaves.append(path)
                if s == "true" || s == "false" { v.kind = .scalar(s == "true" ? "false" : "true", plain: true) }
                else if let i = Int(s) { v.kind = .scalar("\(i + 3)", plain: true) }
                else if let d = Double(s) { v.kind = .scalar(ConfigValue.formatDouble(d + 0.125), plain: true) }
                else { v.kind = .scalar(s + "-x", plain: false) }
            }
        }
        perturb(&changed, [])
        func set(_ v: inout ConfigValue, _ path: ArraySlice<String>, _ text: String) {
            guard let key = path.first, case .map(var entries) = v.kind, let i = entries.firstIndex(where: { $0.key == key }) else {
                v.kind = .scalar(text, plain: false); return
            }
            set(&entries[i].value, path.dropFirst(), text)
            v.kind = .map(entries)
        }
        // A choice (an enum, a preset) gets another allowed value, found from the error that the made-up one gives.
        var config: TrainConfig?
        for _ in 0..<50 where config == nil {
            do {
                config = try TrainConfig.parse(yaml: changed.yaml(), validate: false)
            } catch TrainConfigError.invalidChoice(let path, let value, let allowed, _, _) {
                set(&changed, path.split(separator: ".").map(String.init)[...], allowed.first { $0 + "-x" != value }!)
            }
        }
        let back = try ConfigValue(yaml: try #require(config).resolvedYAML())
        func leaf(_ v: ConfigValue, _ path: [String]) -> String? {
            var cur: ConfigValue? = v
            for k in path {
                if case .list(let items)? = cur?.kind, let i = Int(k) { cur = i < items.count ? items[i] : nil } else { cur = cur?[k] }
            }
            return cur?.inlineText
        }
        #expect(leaves.count > 80)
        for path in leaves {
            #expect(leaf(changed, path) != leaf(defaults, path), "\(path) was not changed")
            #expect(leaf(back, path) == leaf(changed, path), "\(path.joined(separator: ".")) did not round-trip")
        }
    }
}

/// Regression (baseline fuzzing campaign): YAML nested 3,000–20,000 deep overflowed the parser's stack, and
/// nine-level alias expansion ("billion laughs") ran to 1 GB. Both now end with a clear error, fast.
@Suite struct ConfigLimitsTests {
    @Test func deepNestingIsRefused() {
        let flow = "model: " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
        #expect { try TrainConfig.parse(yaml: flow) } throws: { "\($0)".contains("nested deeper than 64") }
        var block = ""
        for i in 0..<400 { block += String(repeating: " ", count: i) + "k\(i):\n" }
        #expect { try TrainConfig.parse(yaml: block) } throws: { "\($0)".contains("indented beyond 256 columns") }
        #expect { try TrainConfig.parse(yaml: "", overrides: ["optimizer.betas=" + String(repeating: "[", count: 3000)]) } throws: {
            "\($0)".contains("nested deeper than 64")
        }
    }

    @Test func aliasExpansionIsRefused() {
        var yaml = "a0: &a0 [\"lol\"]\n"
        for i in 1...9 { yaml += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ",") + "]\n" }
        let start = Date()
        #expect { try TrainConfig.parse(yaml: yaml) } throws: { "\($0)".contains("alias references") }
        #expect(Date().timeIntervalSince(start) < 5)
    }

    /// Ordinary configurations stay well inside the limits: every shipped config reads.
    @Test func shippedConfigsAreWithinTheLimits() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for name in ["fmnist-tiny", "scenes-tiny", "vtp-l"] {
            _ = try ConfigValue(contentsOf: root.appendingPathComponent("configs/\(name).yaml"))
        }
    }
}
