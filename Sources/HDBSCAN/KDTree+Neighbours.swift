import LossLensCore

extension KDTree {
  /// Core distances: the distance from every point to its `k`-th nearest neighbour (the point
  /// itself is the 0-th), written to `out` by original index.
  ///
  /// - Complexity: O(n log n) expected in low dimension, spread over `threads`.
  public func coreDistances(k: Int, into out: UnsafeMutablePointer<Double>, threads: Int) {
    parallelFor(count, grain: 256, threads: threads) { range in
      var best = [Double](repeating: .infinity, count: k + 1)
      var stack: [Int] = []
      best.withUnsafeMutableBufferPointer { best in
        for position in range {
          for t in 0...k { best[t] = .infinity }
          let q = points + position * dim
          stack.removeAll(keepingCapacity: true)
          stack.append(0)
          while let node = stack.popLast() {
            if boxDistanceSquared(node, q) > best[k] { continue }
            let l = left[node]
            if l < 0 {
              for t in start[node]..<end[node] {
                let d = distanceSquared(t, q)
                guard d < best[k] else { continue }
                var s = k
                while s > 0 && best[s - 1] > d { best[s] = best[s - 1]; s -= 1 }
                best[s] = d
              }
            } else {
              let r = right[node]
              // Visit the nearer child first (pushed last).
              if boxDistanceSquared(l, q) <= boxDistanceSquared(r, q) {
                stack.append(r); stack.append(l)
              } else {
                stack.append(l); stack.append(r)
              }
            }
          }
          out[index[position]] = best[k].squareRoot()
        }
      }
    }
  }
}
