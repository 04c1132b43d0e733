import LossLensCore

/// The `width` nearest points of every point of a k-d tree, by tree position.
public struct NeighbourTable: @unchecked Sendable {
  /// Entries per point.
  public let width: Int
  /// Tree positions (count × width), nearest first; the point itself is among them.
  public let position: UnsafeMutablePointer<Int>
  /// Their squared distances.
  public let distanceSquared: UnsafeMutablePointer<Double>

  init(count: Int, width: Int) {
    self.width = width
    position = .allocate(capacity: Swift.max(1, count * width))
    distanceSquared = .allocate(capacity: Swift.max(1, count * width))
  }

  /// Releases the table.
  public func deallocate() {
    position.deallocate()
    distanceSquared.deallocate()
  }
}

extension KDTree {
  /// The `k + 2` nearest points of every point (itself included, ties in any order), and its core
  /// distance: the distance to its `k`-th nearest neighbour, the point itself being the 0-th,
  /// written to `core` by original index.
  ///
  /// The extra entry tells whether more points lie at the core distance than the table holds.
  /// - Complexity: O(n log n) expected in low dimension, spread over `threads`.
  public func neighbours(k: Int, core: UnsafeMutablePointer<Double>, threads: Int) -> NeighbourTable {
    let width = Swift.min(count, k + 2)
    let table = NeighbourTable(count: count, width: width)
    parallelFor(count, grain: 256, threads: threads) { range in
      var stack: [(Int, Double)] = []
      stack.reserveCapacity(128)
      let leaf = UnsafeMutablePointer<Double>.allocate(capacity: leafCapacity)
      defer { leaf.deallocate() }
      for position in range {
        let best = table.distanceSquared + position * width, found = table.position + position * width
        for t in 0..<width { best[t] = .infinity; found[t] = -1 }
        let last = width - 1
        let q = points + position * dim, qk = keys + position * self.width
        stack.removeAll(keepingCapacity: true)
        stack.append((0, 0))
        while let (node, box) = stack.popLast() {
          if beyond(boxSquared: box, best[last]) { continue }
          let l = left[node]
          if l < 0 {
            let s = start[node], e = end[node]
            if vectorLeaves { distancesSquared(s, e, q, into: leaf) }
            for t in s..<e {
              let d = vectorLeaves ? leaf[t - s] : distanceSquared(t, q, limit2: best[last])
              guard d < best[last] else { continue }
              var i = last
              while i > 0 && best[i - 1] > d { best[i] = best[i - 1]; found[i] = found[i - 1]; i -= 1 }
              best[i] = d
              found[i] = t
            }
          } else {
            let r = right[node]
            let bl = boxDistanceSquared(l, qk), br = boxDistanceSquared(r, qk)
            // Visit the nearer child first (pushed last).
            KDTree.pushNearerLast(&stack, l, bl, r, br)
          }
        }
        core[index[position]] = best[Swift.min(k, last)].squareRoot()
      }
    }
    return table
  }
}
