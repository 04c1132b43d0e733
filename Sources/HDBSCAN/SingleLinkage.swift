/// The single-linkage dendrogram of a spanning tree in SciPy's linkage format.
///
/// Row `i` merges clusters `left[i]` and `right[i]` (ids `< n` are points, `n + k` is the cluster
/// row `k` created) at `distance[i]` into a cluster of `size[i]` points. Edges are taken in a
/// given order of increasing weight; `left` holds the side of the edge's source.
///
/// The order is the caller's because equal mutual-reachability weights are common (every edge that
/// ends at a core distance); the references break those ties with NumPy's `argsort`, and the
/// dendrogram (hence the clusters) depends on it.
public struct SingleLinkage: Sendable {
  /// Cluster on the source side of each merge.
  public var left: [Int]
  /// Cluster on the target side of each merge.
  public var right: [Int]
  /// Merge height.
  public var distance: [Double]
  /// Points in the merged cluster.
  public var size: [Int]

  /// Number of points (`merges + 1`).
  public var pointCount: Int { distance.count + 1 }

  /// Builds the dendrogram over `n ≥ 1` points from `n − 1` edges already in merge order
  /// (increasing weight, ties as the caller wants them broken): `edge(i)` is the `i`-th edge's
  /// source, target and weight. A union-find relabels each root to the id of the merge that formed
  /// it. Returns `nil` when an edge joins two points already connected (the edges do not span).
  ///
  /// - Complexity: near-linear; 16 bytes per point of scratch besides the result.
  public init?(pointCount n: Int, edge: (Int) -> (source: Int, target: Int, weight: Double)) {
    // 32-bit ids and sizes (n < 2³¹): 16 bytes per point while merging.
    var parent = (0..<Int32(2 * n - 1)).map { $0 }
    var sizes = [Int32](repeating: 1, count: 2 * n - 1)
    func find(_ x: Int) -> Int {
      var root = x
      while parent[root] != Int32(root) { root = Int(parent[root]) }
      var node = x
      while parent[node] != Int32(root) {
        let up = Int(parent[node])
        parent[node] = Int32(root)
        node = up
      }
      return root
    }
    left = []; right = []; distance = []; size = []
    left.reserveCapacity(n - 1); right.reserveCapacity(n - 1)
    distance.reserveCapacity(n - 1); size.reserveCapacity(n - 1)
    for row in 0..<(n - 1) {
      let (source, target, weight) = edge(row)
      let a = find(source), b = find(target)
      guard a != b else { return nil }
      let merged = n + row
      parent[a] = Int32(merged)
      parent[b] = Int32(merged)
      sizes[merged] = sizes[a] + sizes[b]
      left.append(a); right.append(b)
      distance.append(weight); size.append(Int(sizes[merged]))
    }
  }
}
