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
/// The helpers come from a persistent `WorkerTeam` when it is free (starting a thread costs tens
/// of microseconds, and a dictionary sweep runs dozens of parallel regions per iteration); a
/// nested or concurrent call, or one asking for more threads than the team has, starts its own.
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
    if savedBLAS != 1 { openblas_set_num_threads(1) }
    if !WorkerTeam.shared.run(job, helpers: workers - 1) { runOnNewThreads(job, helpers: workers - 1) }
    if savedBLAS != 1 { openblas_set_num_threads(savedBLAS) }
  }
}

/// Drains `job` on the calling thread and `helpers` threads started for it.
private func runOnNewThreads(_ job: ParallelJob, helpers: Int) {
  var spawned: [pthread_t] = []
  spawned.reserveCapacity(helpers)
  for _ in 0..<helpers {
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
}

/// A team of `cpuCount − 1` helper threads, started on first use, that wait for the chunks of one
/// `parallelFor` at a time: they spin briefly after each job (parallel regions tend to come in
/// quick succession), then sleep on a condition variable.
private final class WorkerTeam: @unchecked Sendable {
  static let shared = WorkerTeam(size: max(0, Threading.cpuCount - 1))

  let size: Int
  /// Set while one `parallelFor` owns the team.
  private let busy = Atomic<Bool>(false)
  /// Places left in the current job: a helper that takes one drains the job.
  private let tickets = Atomic<Int>(0)
  /// Helpers still draining the current job, and helpers asleep.
  private let pending = Atomic<Int>(0), sleepers = Atomic<Int>(0)
  private var job: Unmanaged<ParallelJob>?
  private var started = false
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

  /// Polls for a ticket before a helper goes to sleep (a few hundred microseconds).
  private static let spinPolls = 200_000

  private init(size: Int) {
    self.size = size
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(wake, nil)
    // A forked child has none of the parent's helper threads: it starts its own team.
    pthread_atfork(nil, nil) { WorkerTeam.shared.forgetThreads() }
  }

  /// Drains `job` with `helpers` team threads and the caller; false (nothing run) when the team
  /// is owned by another call or too small.
  func run(_ job: ParallelJob, helpers: Int) -> Bool {
    guard helpers <= size,
          busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
    if !started { startThreads() }
    self.job = Unmanaged.passUnretained(job)
    pending.store(helpers, ordering: .relaxed)
    tickets.store(helpers, ordering: .sequentiallyConsistent)
    if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
      pthread_mutex_lock(mutex)
      pthread_cond_broadcast(wake)
      pthread_mutex_unlock(mutex)
    }
    job.drain()
    while pending.load(ordering: .acquiring) > 0 { sched_yield() }
    self.job = nil
    busy.store(false, ordering: .releasing)
    return true
  }

  private func startThreads() {
    started = true
    for _ in 0..<size {
      var tid = pthread_t()
      let context = Unmanaged.passRetained(self).toOpaque()
      guard pthread_create(&tid, nil, { raw in
        Unmanaged<WorkerTeam>.fromOpaque(raw!).takeRetainedValue().serve()
        return nil
      }, context) == 0 else {
        Unmanaged<WorkerTeam>.fromOpaque(context).release()
        continue
      }
      pthread_detach(tid)
    }
  }

  /// A helper's loop: take a ticket and drain the job; between jobs spin, then sleep.
  private func serve() {
    while true {
      if takeTicket(), let job {
        job._withUnsafeGuaranteedRef { $0.drain() }
        pending.wrappingSubtract(1, ordering: .releasing)
        continue
      }
      var polls = 0
      while polls < Self.spinPolls, tickets.load(ordering: .relaxed) == 0 { polls += 1 }
      if polls < Self.spinPolls { continue }
      pthread_mutex_lock(mutex)
      sleepers.wrappingAdd(1, ordering: .sequentiallyConsistent)
      while tickets.load(ordering: .sequentiallyConsistent) == 0 { pthread_cond_wait(wake, mutex) }
      sleepers.wrappingSubtract(1, ordering: .sequentiallyConsistent)
      pthread_mutex_unlock(mutex)
    }
  }

  /// Takes one of the current job's tickets, if any is left.
  private func takeTicket() -> Bool {
    var left = tickets.load(ordering: .acquiring)
    while left > 0 {
      let (taken, found) = tickets.compareExchange(expected: left, desired: left - 1, ordering: .acquiringAndReleasing)
      if taken { return true }
      left = found
    }
    return false
  }

  /// After `fork`, in the child: no helper threads exist and no call owns the team.
  private func forgetThreads() {
    started = false
    busy.store(false, ordering: .relaxed)
    tickets.store(0, ordering: .relaxed)
    sleepers.store(0, ordering: .relaxed)
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(wake, nil)
  }
}
