import LossLensCore

extension KMeansProblem {
  /// Greedy k-means++ seeding (KMeans [k-means++]; D. Arthur and S. Vassilvitskii, "k-means++: the advantages of careful
  /// seeding", SODA 2007, with scikit-learn's greedy variant): the first centre is drawn with
  /// probability ∝ wᵢ; every further centre is the best, by resulting potential Σᵢ wᵢ D(xᵢ)², of
  /// `localTrials` candidates drawn with probability ∝ wᵢ D(xᵢ)².
  ///
  /// Writes the `k × d` centres and their row indices.
  /// - Complexity: O(k · localTrials · n·d), as one gemm per candidate batch and row block.
  public func plusPlus(
    k: Int, localTrials: Int, seed: UInt64, centers: UnsafeMutablePointer<T>,
    indices: UnsafeMutablePointer<Int64>
  ) throws(LossLensError) {
    guard k >= 1, k <= n else { throw .invalid("n_samples=\(n) should be >= n_clusters=\(k)") }
    guard localTrials >= 1 else { throw .invalid("n_local_trials must be >= 1 (got \(localTrials))") }
    var totalWeight = 0.0
    for i in 0..<n { totalWeight += Double(weights[i]) }
    guard totalWeight > 0 else { throw .invalid("sample_weight must not sum to zero") }
    var rng = Xoshiro256(seed: seed)
    let rowNorms = UnsafeMutableBufferPointer<T>.allocate(capacity: n)
    let closest = UnsafeMutableBufferPointer<T>.allocate(capacity: n)
    let trialDistances = UnsafeMutableBufferPointer<T>.allocate(capacity: localTrials * n)
    let cumulative = UnsafeMutableBufferPointer<Double>.allocate(capacity: n)
    let candidates = UnsafeMutablePointer<T>.allocate(capacity: localTrials * d)
    defer {
      rowNorms.deallocate(); closest.deallocate(); trialDistances.deallocate()
      cumulative.deallocate(); candidates.deallocate()
    }
    parallelFor(n, grain: 4096, threads: threads) { range in
      for i in range { rowNorms[i] = T.dot(n: d, x: x + i * d, incx: 1, y: x + i * d, incy: 1) }
    }

    let blocks = parts
    let blockTotals = UnsafeMutableBufferPointer<Double>.allocate(capacity: blocks.count * localTrials)
    defer { blockTotals.deallocate() }
    /// Fills the running sums of `mass` over the rows: each block's running sums in parallel,
    /// then the totals of the blocks before it added (block by block, so independent of the threads).
    func accumulate(_ mass: (Int) -> Double) {
      parallelFor(blocks.count, threads: threads) { range in
        for p in range {
          var running = 0.0
          for i in blocks[p] {
            running += mass(i)
            cumulative[i] = running
          }
        }
      }
      var offsets = [Double](repeating: 0, count: blocks.count)
      for p in blocks.indices.dropFirst() { offsets[p] = offsets[p - 1] + cumulative[blocks[p - 1].upperBound - 1] }
      parallelFor(blocks.count, threads: threads) { range in
        for p in range where offsets[p] != 0 {
          for i in blocks[p] { cumulative[i] += offsets[p] }
        }
      }
    }
    /// A row drawn with probability ∝ its mass: the first whose running sum reaches u·total.
    func draw(total: Double) -> Int {
      let target = rng.nextUnit() * total
      var lo = 0, hi = n
      while lo < hi {
        let mid = (lo + hi) / 2
        if cumulative[mid] < target { lo = mid + 1 } else { hi = mid }
      }
      return min(lo, n - 1)
    }

    accumulate { Double(weights[$0]) }
    let first = draw(total: totalWeight)
    indices[0] = Int64(first)
    centers.update(from: x + first * d, count: d)
    squaredDistances(to: centers, count: 1, rowNorms: rowNorms.baseAddress!, into: closest.baseAddress!)
    var potential = 0.0
    for i in 0..<n { potential += Double(weights[i]) * Double(closest[i]) }

    for c in 1..<max(1, k) {
      try Cancellation.check()
      var chosen = [Int](repeating: 0, count: localTrials)
      accumulate { Double(weights[$0]) * Double(closest[$0]) }
      for t in 0..<localTrials {
        chosen[t] = draw(total: potential)
        (candidates + t * d).update(from: x + chosen[t] * d, count: d)
      }
      squaredDistances(
        to: candidates, count: localTrials, rowNorms: rowNorms.baseAddress!, into: trialDistances.baseAddress!)
      parallelFor(blocks.count, threads: threads) { range in
        for p in range {
          for t in 0..<localTrials {
            let row = trialDistances.baseAddress! + t * n
            var sum = 0.0
            for i in blocks[p] { sum += Double(weights[i]) * Double(min(closest[i], row[i])) }
            blockTotals[p * localTrials + t] = sum
          }
        }
      }
      var bestTrial = 0
      var bestPotential = Double.infinity
      for t in 0..<localTrials {
        var p = 0.0
        for b in blocks.indices { p += blockTotals[b * localTrials + t] }
        if p < bestPotential {
          bestPotential = p
          bestTrial = t
        }
      }
      let row = trialDistances.baseAddress! + bestTrial * n
      parallelFor(n, grain: 4096, threads: threads) { range in
        for i in range { closest[i] = min(closest[i], row[i]) }
      }
      potential = bestPotential
      indices[c] = Int64(chosen[bestTrial])
      (centers + c * d).update(from: x + chosen[bestTrial] * d, count: d)
    }
  }

  /// Squared distances `out[t·n + i] = max(‖xᵢ‖² + ‖pₜ‖² − 2 xᵢ·pₜ, 0)` from every row to `count` points.
  ///
  /// - Complexity: O(count·n·d) as gemms over row blocks.
  func squaredDistances(
    to points: UnsafePointer<T>, count: Int, rowNorms: UnsafePointer<T>, into out: UnsafeMutablePointer<T>
  ) {
    var pointNorms = [T](repeating: 0, count: count)
    for t in 0..<count { pointNorms[t] = T.dot(n: d, x: points + t * d, incx: 1, y: points + t * d, incy: 1) }
    let blocks = parts
    parallelFor(blocks.count, threads: threads) { range in
      let buffer = UnsafeMutablePointer<T>.allocate(capacity: Self.chunkRows * count)
      defer { buffer.deallocate() }
      for p in range {
        var start = blocks[p].lowerBound
        while start < blocks[p].upperBound {
          let m = min(Self.chunkRows, blocks[p].upperBound - start)
          T.gemm(
            transA: false, transB: true, m: m, n: count, k: d, alpha: -2, a: x + start * d, lda: d,
            b: points, ldb: d, beta: 0, c: buffer, ldc: count)
          for i in 0..<m {
            for t in 0..<count {
              out[t * n + start + i] = max(buffer[i * count + t] + rowNorms[start + i] + pointNorms[t], 0)
            }
          }
          start += m
        }
      }
    }
  }
}
