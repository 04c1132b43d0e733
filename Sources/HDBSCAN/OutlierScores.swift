import LossLensCore

extension CondensedTree {
  /// GLOSH outlier scores (HDBSCAN [GLOSH]; Campello et al. 2015, eq. (8)): `1 − λ_x / λ_max(C_x)` where `C_x` is the
  /// cluster `x` falls out of and `λ_max(C_x)` the largest λ of any point in its subtree.
  /// 0 when `λ_max` is 0 or `λ_x` is infinite. The points are scored on `threads` threads; each
  /// point must be the child of one row at most, as in every condensed tree.
  ///
  /// - Complexity: O(rows).
  public func outlierScores(threads: Int = 1) -> [Double] {
    let n = pointCount
    var scores = [Double](repeating: 0, count: n)
    guard count > 0 else { return scores }
    var deaths = directDeaths(threads: threads)
    // Rows run breadth-first, so the reverse visits children before parents.
    for row in stride(from: count - 1, through: 0, by: -1) where child[row] >= n {
      let c = child[row] - n, p = parent[row] - n
      if deaths[c] > deaths[p] { deaths[p] = deaths[c] }
    }
    scores.withUnsafeMutableBufferPointer { scores in
      parallelFor(count, grain: 65536, threads: threads) { rows in
        for row in rows where child[row] < n {
          let top = deaths[parent[row] - n]
          scores[child[row]] = (top == 0 || !lambda[row].isFinite) ? 0 : (top - lambda[row]) / top
        }
      }
    }
    return scores
  }
}
