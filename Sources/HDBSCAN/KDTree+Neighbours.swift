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
    let width = Swift.min(count, k + 2), last = width - 1
    let table = NeighbourTable(count: count, width: width)
    // The points of a leaf search together: one traversal pruned by the gap between boxes and
    // their largest current k-th distance; each reached leaf is scanned for the points it may serve.
    parallelFor(leaves.count, grain: 16, threads: threads) { range in
      var stack: [(Int, Double)] = []
      stack.reserveCapacity(128)
      let scratch = UnsafeMutablePointer<Double>.allocate(capacity: leafCapacity)
      defer { scratch.deallocate() }
      for i in range {
        let home = leaves[i], first = start[home], end = self.end[home]
        for p in first..<end {
          for t in 0..<width { table.distanceSquared[p * width + t] = .infinity; table.position[p * width + t] = -1 }
        }
        var reach = Double.infinity
        stack.removeAll(keepingCapacity: true)
        stack.append((0, 0))
        while let (node, gap) = stack.popLast() {
          if beyond(boxSquared: gap, reach) { continue }
          let l = left[node]
          if l < 0 {
            let s = start[node], e = self.end[node]
            reach = 0
            for p in first..<end {
              let best = table.distanceSquared + p * width, found = table.position + p * width
              defer { reach = Swift.max(reach, best[last]) }
              let q = points + p * dim
              if node != home && beyond(boxSquared: boxDistanceSquared(node, keys + p * self.width), best[last]) {
                continue
              }
              if vectorLeaves { distancesSquared(s, e, q, into: scratch) }
              for t in s..<e {
                let d = vectorLeaves ? scratch[t - s] : distanceSquared(t, q, limit2: best[last])
                guard d < best[last] else { continue }
                var i = last
                while i > 0 && best[i - 1] > d { best[i] = best[i - 1]; found[i] = found[i - 1]; i -= 1 }
                best[i] = d
                found[i] = t
              }
            }
          } else {
            let r = right[node]
            // Visit the nearer child first (pushed last).
            KDTree.pushNearerLast(&stack, l, boxGapSquared(l, home), r, boxGapSquared(r, home))
          }
        }
        for p in first..<end { core[index[p]] = table.distanceSquared[p * width + Swift.min(k, last)].squareRoot() }
      }
    }
    return table
  }
}
