import Foundation

/// The collective operations data-parallel training needs, over the processes ("ranks") of one job.
///
/// Every rank must call the same collectives in the same order with the same counts (MPI's rule); a rank that
/// skips one leaves the others waiting. Results are the same on every rank.
///
/// Two implementations: `SingleProcess` (one rank; every operation is the identity) and `MPICommunicator`
/// (Open MPI's `MPI_COMM_WORLD`). `Distributed.world` picks the one the process was launched for.
public protocol Communicator: AnyObject {
    /// This process's index, 0..<size.
    var rank: Int { get }
    /// Number of processes.
    var size: Int { get }
    /// Element-wise sum over ranks, in place (same count on every rank).
    func allReduceSum(_ values: inout [Float]) throws
    func allReduceSum(_ values: inout [Double]) throws
    /// Element-wise maximum over ranks, in place.
    func allReduceMax(_ values: inout [Double]) throws
    /// Every rank's `values` (the same count on every rank), concatenated in rank order: [size · count].
    func allGather(_ values: [Float]) throws -> [Float]
    /// Replaces `bytes` on every rank with `root`'s (the count may differ: it is sent first).
    func broadcast(_ bytes: inout [UInt8], root: Int) throws
    /// Waits until every rank has called it.
    func barrier() throws
    /// Ends the whole job (every rank) with `code` after printing `message` on this rank; does not return.
    func abort(message: String, code: Int32) -> Never
}

extension Communicator {
    /// Rank 0 writes files and prints progress.
    public var isRoot: Bool { rank == 0 }

    /// The sum of one value over ranks.
    public func sum(_ value: Double) throws -> Double {
        var v = [value]
        try allReduceSum(&v)
        return v[0]
    }
}

/// Errors of the distributed layer (an MPI call's error code with Open MPI's message, or a bad argument).
public enum DistributedError: Error, CustomStringConvertible, Equatable {
    case mpi(call: String, rank: Int, message: String)
    case invalid(String)

    public var description: String {
        switch self {
        case .mpi(let call, let rank, let message): return "MPI: \(call) failed on rank \(rank): \(message)"
        case .invalid(let m): return m
        }
    }
}

/// One process: rank 0 of 1; every collective leaves its input as it is.
public final class SingleProcess: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allReduceSum(_ values: inout [Float]) throws {}
    public func allReduceSum(_ values: inout [Double]) throws {}
    public func allReduceMax(_ values: inout [Double]) throws {}
    public func allGather(_ values: [Float]) throws -> [Float] { values }
    public func broadcast(_ bytes: inout [UInt8], root: Int) throws {
        guard root == 0 else { throw DistributedError.invalid("broadcast root \(root) outside a 1-rank job") }
    }
    public func barrier() throws {}
    public func abort(message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(code)
    }
}

/// The communicator of this process.
public enum Distributed {
    /// True when the process was started by Open MPI's `mpirun`/`mpiexec` (it sets `OMPI_COMM_WORLD_SIZE`).
    public static var launchedByMPI: Bool { ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"] != nil }

    /// The number of ranks `mpirun` started (1 without `mpirun`), read without initialising MPI.
    public static var launchedRanks: Int { ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"].flatMap { Int($0) } ?? 1 }

    /// `MPICommunicator` (MPI initialised on first use, finalised at exit) when launched by `mpirun`, else
    /// `SingleProcess`. A failing `MPI_Init` ends the process with Open MPI's message.
    nonisolated(unsafe) public static let world: any Communicator = {
        guard launchedByMPI else { return SingleProcess() }
        do {
            return try MPICommunicator.initializeWorld()
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            exit(1)
        }
    }()
}
