import ArgumentParser
import Foundation
import VTPEval

struct EvalFrechet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frechet",
        abstract: "Fréchet distance between two feature sets or statistics (safetensors `features` [N, D] or `mu`+`sigma`, or an ADM .npz).")

    @Argument(help: "First features or statistics file.") var a: String
    @Argument(help: "Second features or statistics file.") var b: String
    @Flag(help: "Print {\"frechet_distance\": …}.") var json = false

    func run() throws {
        let d = try FrechetDistance.distance(between: URL(fileURLWithPath: a), and: URL(fileURLWithPath: b))
        print(json ? "{\"frechet_distance\": \(d)}" : "\(d)")
    }
}
