import CMPI
import Foundation

/// `Communicator` over Open MPI's `MPI_COMM_WORLD`.
///
/// The world's error handler is `MPI_ERRORS_RETURN`, so a failed collective (a peer that died, a broken link)
/// throws `DistributedError.mpi` naming the call and Open MPI's message instead of aborting inside the library.
/// Only the thread that initialised MPI calls it (`MPI_THREAD_FUNNELED`): the data loader's threads never do.
///
/// A rank that dies ends the job (`mpirun` stops the others). A rank that hangs is caught with
/// `VTP_MPI_TIMEOUT=<seconds>`: a collective still waiting after that long ends its process with a message naming
/// the collective, and `mpirun` then stops the rest (set it above the longest pause of rank 0: evaluation, checkpoints).
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    let comm: MPI_Comm?
    private let watchdog: CollectiveWatchdog?

    private init(comm: MPI_Comm?, rank: Int, size: Int) {
        self.comm = comm
        self.rank = rank
        self.size = size
        let limit = ProcessInfo.processInfo.environment["VTP_MPI_TIMEOUT"].flatMap(Double.init)
        watchdog = limit.flatMap { $0 > 0 ? CollectiveWatchdog(limit: $0, rank: rank, size: size) : nil }
    }

    /// Initialises MPI (once per process) and registers `MPI_Finalize` to run at exit.
    static func initializeWorld() throws -> MPICommunicator {
        var provided: Int32 = 0
        try check("MPI_Init_thread", rank: -1, MPI_Init_thread(nil, nil, vtp_mpi_thread_funneled(), &provided))
        atexit {
            var finalized: Int32 = 0
            MPI_Finalized(&finalized)
            if finalized == 0 { MPI_Finalize() }
        }
        let world = vtp_mpi_comm_world()
        try check("MPI_Comm_set_errhandler", rank: -1, MPI_Comm_set_errhandler(world, vtp_mpi_errors_return()))
        var r: Int32 = 0, n: Int32 = 0
        try check("MPI_Comm_rank", rank: -1, MPI_Comm_rank(world, &r))
        try check("MPI_Comm_size", rank: Int(r), MPI_Comm_size(world, &n))
        return MPICommunicator(comm: world, rank: Int(r), size: Int(n))
    }

    static func check(_ call: String, rank: Int, _ code: Int32) throws {
        guard code != vtp_mpi_success() else { return }
        var buffer = [CChar](repeating: 0, count: Int(vtp_mpi_max_error_string()) + 1)
        var length: Int32 = 0
        MPI_Error_string(code, &buffer, &length)
        let text = String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw DistributedError.mpi(call: call, rank: rank, message: text.isEmpty ? "error code \(code)" : text)
    }

    /// Runs one MPI call under the watchdog and turns its error code into `DistributedError`.
    private func check(_ call: String, _ body: @autoclosure () -> Int32) throws {
        watchdog?.begin(call)
        let code = body()
        watchdog?.end()
        try Self.check(call, rank: rank, code)
    }

    private func count(_ n: Int) throws -> Int32 {
        guard let c = Int32(exactly: n) else { throw DistributedError.invalid("MPI: \(n) elements exceed one message (2^31 − 1)") }
        return c
    }

    public func allReduceSum(_ values: inout [Float]) throws {
        let n = try count(values.count)
        try values.withUnsafeMutableBufferPointer { p in
            try check("MPI_Allreduce", MPI_Allreduce(vtp_mpi_in_place(), p.baseAddress, n, vtp_mpi_float(), vtp_mpi_sum(), comm))
        }
    }

    public func allReduceSum(_ values: inout [Double]) throws {
        let n = try count(values.count)
        try values.withUnsafeMutableBufferPointer { p in
            try check("MPI_Allreduce", MPI_Allreduce(vtp_mpi_in_place(), p.baseAddress, n, vtp_mpi_double(), vtp_mpi_sum(), comm))
        }
    }

    public func allReduceMax(_ values: inout [Double]) throws {
        let n = try count(values.count)
        try values.withUnsafeMutableBufferPointer { p in
            try check("MPI_Allreduce", MPI_Allreduce(vtp_mpi_in_place(), p.baseAddress, n, vtp_mpi_double(), vtp_mpi_max(), comm))
        }
    }

    public func allGather(_ values: [Float]) throws -> [Float] {
        let n = try count(values.count)
        _ = try count(values.count * size)
        var out = [Float](repeating: 0, count: values.count * size)
        try values.withUnsafeBufferPointer { src in
            try out.withUnsafeMutableBufferPointer { dst in
                try check("MPI_Allgather", MPI_Allgather(src.baseAddress, n, vtp_mpi_float(), dst.baseAddress, n, vtp_mpi_float(), comm))
            }
        }
        return out
    }

    public func broadcast(_ bytes: inout [UInt8], root: Int) throws {
        guard (0..<size).contains(root) else { throw DistributedError.invalid("broadcast root \(root) outside 0..<\(size)") }
        var length = [Double(bytes.count)]
        try length.withUnsafeMutableBufferPointer { p in
            try check("MPI_Bcast", MPI_Bcast(p.baseAddress, 1, vtp_mpi_double(), Int32(root), comm))
        }
        if rank != root { bytes = [UInt8](repeating: 0, count: Int(length[0])) }
        let n = try count(bytes.count)
        try bytes.withUnsafeMutableBufferPointer { p in
            try check("MPI_Bcast", MPI_Bcast(p.baseAddress, n, vtp_mpi_byte(), Int32(root), comm))
        }
    }

    public func barrier() throws { try check("MPI_Barrier", MPI_Barrier(comm)) }

    public func abort(message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        MPI_Abort(comm, code)
        exit(code)
    }
}

/// Ends the process when one collective has waited longer than `limit` seconds (see `MPICommunicator`).
final class CollectiveWatchdog: @unchecked Sendable {
    let limit: Double
    private let lock = NSLock()
    private var current: (call: String, since: Date)?

    init(limit: Double, rank: Int, size: Int) {
        self.limit = limit
        let thread = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: min(1, limit / 4))
                lock.lock()
                let c = current
                lock.unlock()
                if let c, Date().timeIntervalSince(c.since) > limit {
                    let message = "error (rank \(rank) of \(size)): \(c.call) waited more than \(limit) s (VTP_MPI_TIMEOUT): another rank hung or died; ending the job (the last complete checkpoint is intact)\n"
                    FileHandle.standardError.write(Data(message.utf8))
                    _exit(1)  // not exit(): MPI_Finalize at exit would wait for the missing rank too
                }
            }
        }
        thread.name = "VTPDistributed.watchdog"
        thread.start()
    }

    func begin(_ call: String) { lock.lock(); current = (call, Date()); lock.unlock() }
    func end() { lock.lock(); current = nil; lock.unlock() }
}
