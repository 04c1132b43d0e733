import LossLensCore

/// The few nearest other points of every point of a k-d tree, by tree position: Borůvka's later
/// rounds start each search from the lightest of these edges that leaves the component.
///
/// Only `NeighbourTable.kept` entries per point are stored (4 bytes each), whatever `min_samples`,
/// so the table costs at most 24 bytes per point; the full `k + 2` nearest live only in a
/// per-thread buffer while a block of points is searched.
public struct NeighbourTable: @unchecked Sendable {
  /// Entries stored per point.
  public static let kept = 6
  /// Entries per point (`kept`, or fewer for tiny inputs).
  public let width: Int
  /// Tree positions (count × width), nearest first, the point itself left out; −1 where missing.
  public let position: UnsafeMutablePointer<Int32>

  init(count: Int, neighbours: Int) {
    width = Swift.max(1, Swift.min(NeighbourTable.kept, neighbours))
    position = .allocate(capacity: Swift.max(1, count * width))
  }

  /// Stores the nearest entries of `found` (ascending, `available` of them) for tree position `p`.
  @inline(__always) func store(_ p: Int, from found: UnsafePointer<Int>, available: Int) {
    let row = position + p * width
    var filled = 0
    for e in 0..<available where filled < width && found[e] != p && found[e] >= 0 {
      row[filled] = Int32(truncatingIfNeeded: found[e])
      filled += 1
    }
    while filled < width { row[filled] = -1; filled += 1 }
  }

  /// Releases the table.
  public func deallocate() { position.deallocate() }
}

extension KDTree {
  /// The core distance of every point, written to `core` by original index: the distance to its
  /// `k`-th nearest neighbour, the point itself being the 0-th; and the table of its nearest others.
  ///
  /// - Complexity: O(n log n) expected in low dimension, spread over `threads`; O(threads ·
  ///   leafCapacity · k) working memory beyond the table.
  public func neighbours(k: Int, core: UnsafeMutablePointer<Double>, threads: Int) -> NeighbourTable {
    let width = Swift.min(count, k + 1), last = width - 1
    let table = NeighbourTable(count: count, neighbours: width - 1)
    // The points of a leaf search together: one traversal pruned by the gap between boxes and
    // their largest current k-th distance; each reached leaf is scanned for the points it may serve.
    parallelFor(leaves.count, grain: 16, threads: threads) { range in
      var stack: [(Int, Double)] = []
      stack.reserveCapacity(128)
      let scratch = UnsafeMutablePointer<Double>.allocate(capacity: leafCapacity)
      let bestAll = UnsafeMutablePointer<Double>.allocate(capacity: leafCapacity * width)
      let foundAll = UnsafeMutablePointer<Int>.allocate(capacity: leafCapacity * width)
      defer { scratch.deallocate(); bestAll.deallocate(); foundAll.deallocate() }
      for i in range {
        let home = leaves[i], first = start[home], end = self.end[home]
        for t in 0..<((end - first) * width) { bestAll[t] = .infinity; foundAll[t] = -1 }
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
              let best = bestAll + (p - first) * width, found = foundAll + (p - first) * width
              defer { reach = Swift.max(reach, best[last]) }
              let q = point(p)
              if node != home && beyond(boxSquared: boxDistanceSquared(node, position: p), best[last]) {
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
        for p in first..<end {
          let best = bestAll + (p - first) * width
          core[index[p]] = best[Swift.min(k, last)].squareRoot()
          table.store(p, from: foundAll + (p - first) * width, available: width)
        }
      }
    }
    return table
  }
}
