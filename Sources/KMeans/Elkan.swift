import LossLensCore

/// Bounds Elkan's algorithm keeps between iterations (KMeans [Elkan bounds]; C. Elkan, "Using the triangle inequality to
/// accelerate k-means", ICML 2003).
struct ElkanBounds<T: LossLensReal> {
  /// Upper bound on each row's distance to its centre.
  let upper: UnsafeMutableBufferPointer<T>
  /// `n × k` lower bounds on each row's distance to every centre.
  let lower: UnsafeMutableBufferPointer<T>
  /// `k × k` half distances between centres.
  let half: UnsafeMutableBufferPointer<T>
  /// Half the distance from each centre to its nearest other centre.
  let nextHalf: UnsafeMutableBufferPointer<T>
  /// Centre displacements of the last M-step, not yet subtracted from the bounds.
  let due: UnsafeMutableBufferPointer<T>

  init(n: Int, k: Int) {
    upper = .allocate(capacity: n)
    lower = .allocate(capacity: n * k)
    half = .allocate(capacity: k * k)
    nextHalf = .allocate(capacity: k)
    due = .allocate(capacity: k)
  }

  func deallocate() {
    upper.deallocate(); lower.deallocate(); half.deallocate(); nextHalf.deallocate(); due.deallocate()
  }

  /// Row `i`'s first label with tight bounds, skipping centres the triangle inequality rules out;
  /// `distance(j)` measures the row's distance to centre `j`.
  ///
  /// - Complexity: O(k) distances at worst.
  @inline(__always) func initialize(row i: Int, k: Int, distance: (Int) -> T) -> Int {
    let lower = self.lower.baseAddress! + i * k
    lower.update(repeating: 0, count: k)
    var best = 0
    var bestDistance = distance(0)
    lower[0] = bestDistance
    for j in 1..<max(1, k) where bestDistance > half[best * k + j] {
      let dj = distance(j)
      lower[j] = dj
      if dj < bestDistance {
        bestDistance = dj
        best = j
      }
    }
    upper[i] = bestDistance
    return best
  }

  /// One Elkan E-step for row `i` currently labelled `label`: `due`, when given, holds the last
  /// centre displacements, applied to the row's bounds first. Returns the new label.
  ///
  /// - Complexity: O(k) distances at worst, usually none.
  @inline(__always) func step(row i: Int, label current: Int, k: Int, due: UnsafePointer<T>?, distance: (Int) -> T)
    -> Int
  {
    let lower = self.lower.baseAddress! + i * k
    var label = current
    var upperBound = upper[i]
    if let due {
      upperBound += due[label]
      for j in 0..<k { lower[j] = max(lower[j] - due[j], 0) }
    }
    if !(nextHalf[label] >= upperBound) {
      var halfRow = half.baseAddress! + label * k
      var tight = false
      for j in 0..<k where j != label && upperBound > max(lower[j], halfRow[j]) {
        if !tight {
          upperBound = distance(label)
          lower[label] = upperBound
          tight = true
          guard upperBound > max(lower[j], halfRow[j]) else { continue }
        }
        let dj = distance(j)
        lower[j] = dj
        if dj < upperBound {
          label = j
          upperBound = dj
          halfRow = half.baseAddress! + label * k
        }
      }
    }
    upper[i] = upperBound
    return label
  }

  /// Half the pairwise distances of the `k × d` centres and, per centre, the smallest to another centre.
  ///
  /// - Complexity: O(k²·d).
  func measure(centers: UnsafePointer<T>, k: Int, d: Int) {
    for a in 0..<k {
      half[a * k + a] = 0
      for b in (a + 1)..<max(a + 1, k) {
        var s: T = 0
        for c in 0..<d {
          let delta = centers[a * d + c] - centers[b * d + c]
          s += delta * delta
        }
        let h = s.squareRoot() / 2
        half[a * k + b] = h
        half[b * k + a] = h
      }
    }
    for a in 0..<k {
      var m = T.infinity
      for b in 0..<k where b != a { m = min(m, half[a * k + b]) }
      nextHalf[a] = k > 1 ? m : 0
    }
  }
}

extension KMeansProblem {
  /// Euclidean distance between row `i` and the centre at `c`.
  @inline(__always) func distance(row i: Int, to c: UnsafePointer<T>) -> T {
    squaredDistance(row: i, to: c).squareRoot()
  }

  /// Half the pairwise centre distances and, per centre, the smallest to another centre.
  func centerHalfDistances(_ centers: UnsafePointer<T>, k: Int, bounds: ElkanBounds<T>) {
    bounds.measure(centers: centers, k: k, d: d)
  }

  /// Exact first labels and tight bounds, skipping centres the triangle inequality rules out.
  ///
  /// - Complexity: O(n·k·d) at worst.
  func elkanInitialBounds(
    _ centers: UnsafePointer<T>, k: Int, labels: UnsafeMutablePointer<Int32>, bounds: ElkanBounds<T>
  ) {
    parallelFor(n, grain: Self.chunkRows, threads: threads) { range in
      for i in range {
        labels[i] = Int32(bounds.initialize(row: i, k: k) { j in distance(row: i, to: centers + j * d) })
      }
    }
  }

  /// One Elkan iteration from centres `old`; with `sums`, new centres in `new` and displacements
  /// in `shift`. `due`, when given, holds the previous displacements, applied to each row's bounds
  /// just before the row is examined (one pass over the `n × k` lower bounds per iteration).
  ///
  /// - Complexity: O(n·k·d) at worst, usually O(n·k).
  func elkanStep(
    old: UnsafePointer<T>, new: UnsafeMutablePointer<T>, k: Int, labels: UnsafeMutablePointer<Int32>,
    shift: UnsafeMutablePointer<T>, bounds: ElkanBounds<T>, sums: CenterSums<T>?, due: UnsafePointer<T>?
  ) {
    let blocks = parts
    parallelFor(blocks.count, threads: threads) { range in
      for p in range {
        sums?.reset(part: p)
        for i in blocks[p] {
          let label = bounds.step(row: i, label: Int(labels[i]), k: k, due: due) { j in
            distance(row: i, to: old + j * d)
          }
          labels[i] = Int32(label)
          sums?.add(part: p, label: label, row: x + i * d, weight: weights[i])
        }
      }
    }
    guard let sums else { return }
    sums.reduce(parts: blocks.count, into: new)
    finishCenters(old: old, new: new, weightIn: sums.totals.baseAddress!, labels: labels, k: k, shift: shift)
  }

  /// Elkan's algorithm from the centres in `centers` (overwritten with the result), with the same
  /// stopping rules and final E-step as `lloyd`; the labels equal Lloyd's up to ties.
  ///
  /// - Complexity: O(iterations · n·k·d) at worst; O(n·k) memory for the lower bounds.
  public func elkan(
    centers: UnsafeMutablePointer<T>, k: Int, maxIterations: Int, tol: Double,
    labels: UnsafeMutablePointer<Int32>
  ) throws(LossLensError) -> KMeansRun {
    try checkRun(k: k, maxIterations: maxIterations, tol: tol)
    let bounds = ElkanBounds<T>(n: n, k: k)
    let sums = CenterSums<T>(parts: parts.count, k: k, d: d)
    defer { bounds.deallocate(); sums.deallocate() }
    centerHalfDistances(centers, k: k, bounds: bounds)
    elkanInitialBounds(centers, k: k, labels: labels, bounds: bounds)
    var shifted = false
    return try iterate(centers: centers, k: k, maxIterations: maxIterations, tol: tol, labels: labels) {
      old, new, shift, update in
      elkanStep(
        old: old, new: new, k: k, labels: labels, shift: shift, bounds: bounds, sums: update ? sums : nil,
        due: shifted ? UnsafePointer(bounds.due.baseAddress!) : nil)
      if update {
        centerHalfDistances(new, k: k, bounds: bounds)
        bounds.due.baseAddress!.update(from: shift, count: k)
        shifted = true
      }
    }
  }
}
