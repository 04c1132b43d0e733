/// A minimum spanning tree of the mutual-reachability graph as `n − 1` weighted edges.
///
/// Edge `e` joins `source[e]` (already in the tree when Prim's algorithm grew from point 0) to
/// `target[e]`. This orientation decides the left/right order of the single-linkage tree and so
/// the numbering of clusters; the `hdbscan` package's Prim variants and scikit-learn share it.
public struct SpanningTree: Sendable {
  /// Endpoint already in the tree.
  public var source: [Int]
  /// Endpoint the edge added.
  public var target: [Int]
  /// Mutual-reachability distance of the edge.
  public var weight: [Double]

  /// An empty tree with room for `capacity` edges.
  public init(capacity: Int) {
    source = []; target = []; weight = []
    source.reserveCapacity(capacity); target.reserveCapacity(capacity); weight.reserveCapacity(capacity)
  }

  /// Number of edges.
  public var count: Int { weight.count }
}
