import LossLensCore
import Synchronization

/// A few threads that stay alive for a whole Prim run and split each step's scan between them.
///
/// Each step the coordinator publishes a new epoch; every thread (the coordinator too) claims
/// partitions with an atomic counter until none is left, so a helper that never starts only slows
/// the run down. Threads spin (yielding) between steps, which costs a few microseconds per step.
final class PrimTeam: @unchecked Sendable {
  private let epoch = Atomic<Int>(0)
  private let claimed = Atomic<Int>(0)
  private let finished = Atomic<Int>(0)
  private let partitions: Int
  private let body: (Int) -> Void
  private var helpers: [pthread_t] = []

  /// Starts `threads − 1` helpers that will run `body(partition)` for each of `partitions`
  /// partitions of every step.
  init(threads: Int, partitions: Int, body: @escaping (Int) -> Void) {
    self.partitions = partitions
    self.body = body
    for _ in 1..<max(1, threads) {
      var tid = pthread_t()
      let context = Unmanaged.passRetained(self).toOpaque()
      let rc = pthread_create(&tid, nil, { raw in
        let team = Unmanaged<PrimTeam>.fromOpaque(raw!).takeRetainedValue()
        team.helperLoop()
        return nil
      }, context)
      if rc == 0 { helpers.append(tid) } else { Unmanaged<PrimTeam>.fromOpaque(context).release() }
    }
  }

  /// Runs one step: every partition exactly once, spread over the team; returns when all are done.
  func step() {
    finished.store(0, ordering: .relaxed)
    claimed.store(0, ordering: .releasing)
    epoch.add(1, ordering: .releasing)
    drain()
    while finished.load(ordering: .acquiring) < partitions { spinPause() }
  }

  /// Stops and joins the helpers.
  func stop() {
    epoch.store(-1, ordering: .releasing)
    for tid in helpers { pthread_join(tid, nil) }
    helpers.removeAll()
  }

  private func drain() {
    while true {
      let p = claimed.add(1, ordering: .acquiringAndReleasing).oldValue
      if p >= partitions { return }
      body(p)
      finished.add(1, ordering: .releasing)
    }
  }

  private func helperLoop() {
    var seen = 0
    while true {
      var now = epoch.load(ordering: .acquiring)
      var spins = 0
      while now == seen {
        spins += 1
        if spins > 64 { sched_yield() }
        now = epoch.load(ordering: .acquiring)
      }
      if now < 0 { return }
      seen = now
      drain()
    }
  }

  private func spinPause() { sched_yield() }
}
