import LossLensCore

/// The M-step shared by Lloyd and Elkan: per-block weighted sums of the rows of each cluster,
/// reduced in block order, empty clusters relocated, then averaged. Allocated once per run.
struct CenterSums<T: LossLensReal> {
  /// `parts × k × d` weighted row sums.
  let sums: UnsafeMutableBufferPointer<T>
  /// `parts × k` summed weights.
  let weights: UnsafeMutableBufferPointer<T>
  /// `k` summed weights over all blocks, written by `reduce`.
  let totals: UnsafeMutableBufferPointer<T>
  let k: Int
  let d: Int

  init(parts: Int, k: Int, d: Int) {
    sums = .allocate(capacity: max(1, parts * k * d))
    weights = .allocate(capacity: max(1, parts * k))
    totals = .allocate(capacity: max(1, k))
    self.k = k
    self.d = d
  }

  func deallocate() {
    sums.deallocate()
    weights.deallocate()
    totals.deallocate()
  }

  /// Zeroes the accumulators of block `part`.
  func reset(part: Int) {
    (sums.baseAddress! + part * k * d).update(repeating: 0, count: k * d)
    (weights.baseAddress! + part * k).update(repeating: 0, count: k)
  }

  /// Adds `w · row` to cluster `label` of block `part`.
  @inline(__always) func add(part: Int, label: Int, row: UnsafePointer<T>, weight w: T) {
    let s = sums.baseAddress! + (part * k + label) * d
    for c in 0..<d { s[c] += row[c] * w }
    weights[part * k + label] += w
  }

  /// Reduces the blocks in order into `centers` (`k × d`) and `totals`.
  func reduce(parts: Int, into centers: UnsafeMutablePointer<T>) {
    centers.update(from: sums.baseAddress!, count: k * d)
    totals.baseAddress!.update(from: weights.baseAddress!, count: k)
    for p in 1..<max(1, parts) {
      let s = sums.baseAddress! + p * k * d
      for i in 0..<(k * d) { centers[i] += s[i] }
      for j in 0..<k { totals[j] += weights[p * k + j] }
    }
  }
}

/// Turns the weighted sums in `new` into means (clusters of weight 0 keep their sums) and writes
/// each centre's displacement from `old` in `shift` (scikit-learn's `_average_centers` and `_center_shift`).
///
/// - Complexity: O(k·d).
func averageCenters<T: LossLensReal>(
  old: UnsafePointer<T>, new: UnsafeMutablePointer<T>, weightIn: UnsafePointer<T>, k: Int, d: Int,
  shift: UnsafeMutablePointer<T>
) {
  for j in 0..<k where weightIn[j] > 0 {
    let scale = 1 / weightIn[j]
    for c in 0..<d { new[j * d + c] *= scale }
  }
  for j in 0..<k {
    var s: T = 0
    for c in 0..<d {
      let delta = new[j * d + c] - old[j * d + c]
      s += delta * delta
    }
    shift[j] = s.squareRoot()
  }
}

extension KMeansProblem {
  /// Finishes an M-step as scikit-learn does: each empty cluster takes the row farthest from its
  /// (old) centre, whose weight leaves its cluster; the sums become means; `shift[j]` is the distance
  /// each centre moved.
  ///
  /// - Complexity: O(n·d) when a cluster is empty, O(k·d) otherwise.
  func finishCenters(
    old: UnsafePointer<T>, new: UnsafeMutablePointer<T>, weightIn: UnsafeMutablePointer<T>,
    labels: UnsafePointer<Int32>, k: Int, shift: UnsafeMutablePointer<T>
  ) {
    let empty = (0..<k).filter { weightIn[$0] == 0 }
    if !empty.isEmpty {
      let far = farthestRows(from: old, labels: labels, count: empty.count)
      for (cluster, row) in zip(empty, far) {
        let w = weights[row]
        let from = Int(labels[row])
        let r = x + row * d
        for c in 0..<d {
          new[from * d + c] -= r[c] * w
          new[cluster * d + c] = r[c] * w
        }
        weightIn[cluster] = w
        weightIn[from] -= w
      }
    }
    averageCenters(old: old, new: new, weightIn: weightIn, k: k, d: d, shift: shift)
  }

  /// The `count` rows farthest from their assigned centre, farthest first (ties: lower row first),
  /// kept in a short sorted list during one pass.
  ///
  /// - Complexity: O(n·d + n·count) at worst, O(n·d) typically.
  func farthestRows(from centers: UnsafePointer<T>, labels: UnsafePointer<Int32>, count: Int) -> [Int] {
    let distance = UnsafeMutableBufferPointer<T>.allocate(capacity: n)
    defer { distance.deallocate() }
    parallelFor(n, grain: 4096, threads: threads) { range in
      for i in range { distance[i] = squaredDistance(row: i, to: centers + Int(labels[i]) * d) }
    }
    var top = [Int]()
    top.reserveCapacity(count + 1)
    for i in 0..<n {
      let v = distance[i]
      if top.count == count, let last = top.last, !(v > distance[last]) { continue }
      var at = top.count
      while at > 0, v > distance[top[at - 1]] { at -= 1 }
      top.insert(i, at: at)
      if top.count > count { top.removeLast() }
    }
    return top
  }

  /// Σᵢ wᵢ ‖xᵢ − c_{labelᵢ}‖², accumulated in double precision block by block.
  ///
  /// - Complexity: O(n·d).
  public func inertia(centers: UnsafePointer<T>, labels: UnsafePointer<Int32>) -> Double {
    let blocks = parts
    let partial = UnsafeMutableBufferPointer<Double>.allocate(capacity: blocks.count)
    defer { partial.deallocate() }
    parallelFor(blocks.count, threads: threads) { range in
      for p in range {
        var s = 0.0
        for i in blocks[p] {
          s += Double(weights[i]) * Double(squaredDistance(row: i, to: centers + Int(labels[i]) * d))
        }
        partial[p] = s
      }
    }
    return partial.reduce(0, +)
  }
}
