import LossLensCore

/// Bounds Elkan's algorithm keeps between iterations (C. Elkan, "Using the triangle inequality to
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
}

extension KMeansProblem {
  /// Euclidean distance between row `i` and the centre at `c`.
  @inline(__always) func distance(row i: Int, to c: UnsafePointer<T>) -> T {
    squaredDistance(row: i, to: c).squareRoot()
  }

  /// Half the pairwise centre distances and, per centre, the smallest to another centre.
  ///
  /// - Complexity: O(k²·d).
  func centerHalfDistances(_ centers: UnsafePointer<T>, k: Int, bounds: ElkanBounds<T>) {
    for a in 0..<k {
      bounds.half[a * k + a] = 0
      for b in (a + 1)..<max(a + 1, k) {
        var s: T = 0
        for c in 0..<d {
          let delta = centers[a * d + c] - centers[b * d + c]
          s += delta * delta
        }
        let h = s.squareRoot() / 2
        bounds.half[a * k + b] = h
        bounds.half[b * k + a] = h
      }
    }
    for a in 0..<k {
      var m = T.infinity
      for b in 0..<k where b != a { m = min(m, bounds.half[a * k + b]) }
      bounds.nextHalf[a] = k > 1 ? m : 0
    }
  }

  /// Exact first labels and tight bounds, skipping centres the triangle inequality rules out.
  ///
  /// - Complexity: O(n·k·d) at worst.
  func elkanInitialBounds(
    _ centers: UnsafePointer<T>, k: Int, labels: UnsafeMutablePointer<Int32>, bounds: ElkanBounds<T>
  ) {
    parallelFor(n, grain: Self.chunkRows, threads: threads) { range in
      for i in range {
        let lower = bounds.lower.baseAddress! + i * k
        lower.update(repeating: 0, count: k)
        var best = 0
        var bestDistance = distance(row: i, to: centers)
        lower[0] = bestDistance
        for j in 1..<max(1, k) where bestDistance > bounds.half[best * k + j] {
          let dj = distance(row: i, to: centers + j * d)
          lower[j] = dj
          if dj < bestDistance {
            bestDistance = dj
            best = j
          }
        }
        labels[i] = Int32(best)
        bounds.upper[i] = bestDistance
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
          let lower = bounds.lower.baseAddress! + i * k
          var label = Int(labels[i])
          var upper = bounds.upper[i]
          if let due {
            upper += due[label]
            for j in 0..<k { lower[j] = max(lower[j] - due[j], 0) }
          }
          if !(bounds.nextHalf[label] >= upper) {
            var half = bounds.half.baseAddress! + label * k
            var tight = false
            for j in 0..<k where j != label && upper > max(lower[j], half[j]) {
              if !tight {
                upper = distance(row: i, to: old + label * d)
                lower[label] = upper
                tight = true
                guard upper > max(lower[j], half[j]) else { continue }
              }
              let dj = distance(row: i, to: old + j * d)
              lower[j] = dj
              if dj < upper {
                label = j
                upper = dj
                half = bounds.half.baseAddress! + label * k
              }
            }
            labels[i] = Int32(label)
          }
          bounds.upper[i] = upper
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
