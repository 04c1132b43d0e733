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
  /// Most points in a block of the neighbour search: blocks are the largest nodes of at most this
  /// size (a leaf's parent where two leaves fit). On 10⁶ × 8 float32 blobs the core distances took
  /// 23 s with the leaves of 24 themselves as blocks and 12–16 s with blocks of up to 48; query
  /// blocks of 96 were no faster (docs/hdbscan.md).
  static var neighbourBlock: Int { 48 }

  /// The core distance of every point, written to `core` by original index: the distance to its
  /// `k`-th nearest neighbour, the point itself being the 0-th; and the table of its nearest others.
  /// Up to `projectionThreshold` features (the points are held by column).
  ///
  /// The points of a block search together: one traversal pruned by the gap between boxes and their
  /// largest current k-th distance. At each block reached, the queries whose own box gap is within
  /// their own bound are measured against all its points in `LeafTile` register blocks (screened in
  /// single precision for `Float` points), and a candidate is offered to `NearestLists` only when
  /// exactly strictly nearer than the query's current k-th distance. The lists keep the earlier of
  /// equal distances, as one sorted list would: results are those of any exact search in this order.
  ///
  /// - Complexity: O(n log n) expected in low dimension, spread over `threads`; O(threads ·
  ///   neighbourBlock · (k + dim)) working memory beyond the table.
  public func neighbours(k: Int, core: UnsafeMutablePointer<Double>, threads: Int) -> NeighbourTable {
    let width = Swift.min(count, k + 1)
    let table = NeighbourTable(count: count, neighbours: width - 1)
    // Blocks of up to `neighbourBlock` points (nodes) serve as query groups and as candidates.
    let blocks = blockNodes(maxSize: KDTree.neighbourBlock)
    let blockCapacity = blocks.reduce(0) { Swift.max($0, end[$1] - start[$1]) }
    parallelFor(blocks.count, grain: 8, threads: threads) { range in
      var stack: [(Int, Double)] = []
      stack.reserveCapacity(128)
      var tile = LeafTile(self, capacity: blockCapacity)
      let lists = NearestLists(rows: tile.capacity, width: width, near: NeighbourTable.kept + 1)
      let rows = UnsafeMutablePointer<Int>.allocate(capacity: tile.capacity)
      defer { tile.deallocate(); lists.deallocate(); rows.deallocate() }
      for i in range {
        let home = blocks[i], first = start[home], end = self.end[home], size = end - first
        lists.reset(rows: size)
        tile.loadQueries(first, end)
        var reach = Double.infinity
        stack.removeAll(keepingCapacity: true)
        stack.append((0, 0))
        while let (node, gap) = stack.popLast() {
          if beyond(boxSquared: gap, reach) { continue }
          let l = left[node]
          guard l < 0 || self.end[node] - start[node] <= KDTree.neighbourBlock else {
            let r = right[node]
            // Visit the nearer child first (pushed last).
            KDTree.pushNearerLast(&stack, l, boxGapSquared(l, home), r, boxGapSquared(r, home))
            continue
          }
          tile.setCandidates(start[node], self.end[node])
          let box = node * self.width
          let active = tile.queriesReaching(lower: lower + box, upper: upper + box, bounds: lists.bounds, into: rows)
          // The queries this block may serve, each against `span` candidates at a time.
          for a in 0..<active {
            let row = rows[a]
            for lane in Swift.stride(from: 0, to: tile.candidateCount, by: LeafTile<S>.span) {
              let bits = tile.candidates(row, lane, bound: lists.bound(row))
              if bits != 0 { offer(bits, tile, lists, row, tile.candidateStart + lane) }
            }
          }
          reach = lists.largestBound(rows: size)
        }
        for p in first..<end {
          core[Int(index[p])] = lists.bound(p - first).squareRoot()
          table.store(p, from: lists.position + (p - first) * lists.near, available: lists.near)
        }
      }
    }
    return table
  }

  /// Measures exactly and offers to query `row` (buffer position) the candidates flagged in `bits`;
  /// bit `j` is tree position `firstCandidate + j`.
  @inline(__always) private func offer(
    _ bits: UInt32, _ tile: LeafTile<S>, _ lists: NearestLists, _ row: Int, _ firstCandidate: Int
  ) {
    var bits = bits
    while bits != 0 {
      let j = bits.trailingZeroBitCount
      bits &= bits - 1
      lists.offer(row, tile.exact(row, firstCandidate + j), firstCandidate + j)
    }
  }
}
