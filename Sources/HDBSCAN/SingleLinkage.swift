/// The single-linkage dendrogram of a spanning tree in SciPy's linkage format.
///
/// Row `i` merges clusters `left[i]` and `right[i]` (ids `< n` are points, `n + k` is the cluster
/// row `k` created) at `distance[i]` into a cluster of `size[i]` points. Edges are taken by
/// in a given order of increasing weight; `left` holds the side of the edge's source.
///
/// The order is an input because equal mutual-reachability weights are common (every edge that
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

  /// Builds the dendrogram from the edges of `tree` taken in `order` (a permutation of the edges
  /// by increasing weight; `nil` sorts stably), over `n` points, with a union-find whose roots
  /// are relabelled to the id of the merge that formed them.
  ///
  /// - Complexity: O(n log n) to sort, near-linear for the merges.
  public init(tree: SpanningTree, pointCount n: Int, order given: [Int]? = nil) {
    let order = given ?? (0..<tree.count).sorted { a, b in
      let wa = tree.weight[a], wb = tree.weight[b]
      return wa < wb || (wa == wb && a < b)
    }
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
    left.reserveCapacity(tree.count); right.reserveCapacity(tree.count)
    distance.reserveCapacity(tree.count); size.reserveCapacity(tree.count)
    for (row, edge) in order.enumerated() {
      let a = find(tree.source[edge]), b = find(tree.target[edge])
      let merged = n + row
      parent[a] = Int32(merged)
      parent[b] = Int32(merged)
      sizes[merged] = sizes[a] + sizes[b]
      left.append(a); right.append(b)
      distance.append(tree.weight[edge]); size.append(Int(sizes[merged]))
    }
  }
}
