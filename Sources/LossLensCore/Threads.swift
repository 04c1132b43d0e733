import Glibc
import Synchronization
import _COpenBLAS

/// The thread budget of the Swift core, shared with OpenBLAS.
///
/// `Threading.setThreadCount(_:)` caps both the Swift worker threads (`parallelFor`) and
/// OpenBLAS. Inside a parallel region OpenBLAS runs single-threaded, so the two never
/// oversubscribe the cores.
public enum Threading {
  private static let requested = Atomic<Int>(0)

  /// Number of online CPUs.
  public static var cpuCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

  /// The number of threads the core uses: the value set, or every CPU when none was set.
  public static var threadCount: Int {
    let n = requested.load(ordering: .relaxed)
    return n > 0 ? n : cpuCount
  }

  /// Sets the thread budget of the core and of OpenBLAS; `0` means every CPU.
  public static func setThreadCount(_ n: Int) {
    requested.store(max(0, n), ordering: .relaxed)
    openblas_set_num_threads(Int32(clamping: threadCount))
  }

  /// Number of threads OpenBLAS currently uses.
  public static var blasThreadCount: Int { Int(openblas_get_num_threads()) }

  /// Resolves a scikit-learn style `n_jobs` (`0`: the core's budget, `-1`: every CPU,
  /// `-k`: every CPU but k-1) to a positive thread count.
  public static func resolve(nJobs: Int) -> Int {
    if nJobs > 0 { return min(nJobs, 4 * cpuCount) }
    if nJobs == 0 { return threadCount }
    return max(1, cpuCount + 1 + nJobs)
  }
}

/// A unit of work shared by the threads of one `parallelFor`.
private final class ParallelJob {
  let next = Atomic<Int>(0)
  let count: Int
  let chunk: Int
  let body: (Range<Int>) -> Void

  init(count: Int, chunk: Int, body: @escaping (Range<Int>) -> Void) {
    self.count = count
    self.chunk = chunk
    self.body = body
  }

  /// Takes chunks until none is left.
  func drain() {
    while true {
      let start = next.add(chunk, ordering: .relaxed).oldValue
      if start >= count { return }
      body(start..<min(count, start + chunk))
    }
  }
}

/// Runs `body` over `0..<count` split into chunks of at least `grain` indices, on up to
/// `threads` threads (the calling thread included). OpenBLAS is single-threaded meanwhile.
///
/// `body` must be safe to call concurrently on disjoint ranges.
/// - Complexity: the work of `body` over every index, divided among the threads.
public func parallelFor(
  _ count: Int, grain: Int = 1, threads: Int = Threading.threadCount,
  _ body: (Range<Int>) -> Void
) {
  guard count > 0 else { return }
  let workers = max(1, min(threads, (count + max(1, grain) - 1) / max(1, grain)))
  if workers == 1 {
    body(0..<count)
    return
  }
  let chunk = max(max(1, grain), count / (workers * 8))
  withoutActuallyEscaping(body) { escapingBody in
    let job = ParallelJob(count: count, chunk: chunk, body: escapingBody)
    let savedBLAS = openblas_get_num_threads()
    openblas_set_num_threads(1)
    var spawned: [pthread_t] = []
    spawned.reserveCapacity(workers - 1)
    for _ in 1..<workers {
      var tid = pthread_t()
      let context = Unmanaged.passRetained(job).toOpaque()
      let rc = pthread_create(&tid, nil, { raw in
        let job = Unmanaged<ParallelJob>.fromOpaque(raw!).takeRetainedValue()
        job.drain()
        return nil
      }, context)
      if rc == 0 {
        spawned.append(tid)
      } else {
        Unmanaged<ParallelJob>.fromOpaque(context).release()  // fewer threads, same result
      }
    }
    job.drain()
    for tid in spawned { pthread_join(tid, nil) }
    openblas_set_num_threads(savedBLAS)
  }
}
