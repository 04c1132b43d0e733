/// The condensed cluster tree (HDBSCAN [condensed tree]; Campello et al. 2013, Sec. 2.2 / Alg. 1 step 4): the single-linkage
/// dendrogram where a split only creates two clusters when both sides keep at least
/// `minClusterSize` points; otherwise the points of the small side "fall out" of the parent.
///
/// Rows are emitted in the `hdbscan` package's order (breadth-first from the root, left before
/// right, points of a dropped subtree in breadth-first order), so cluster ids match it: the root
/// is `n`, new clusters are numbered in that order.
public struct CondensedTree: Sendable {
  /// Parent cluster id of each row.
  public var parent: [Int]
  /// Child: a point id (< n) or a cluster id (≥ n).
  public var child: [Int]
  /// λ = 1 / distance at which the child leaves the parent (∞ for distance 0).
  public var lambda: [Double]
  /// Number of points in the child.
  public var childSize: [Int]
  /// Number of points.
  public let pointCount: Int

  /// Number of rows.
  public var count: Int { parent.count }

  /// Number of cluster ids `n, n + 1, …` the rows use.
  public var clusterCount: Int {
    let top = Swift.max(parent.max() ?? pointCount, child.max() ?? pointCount)
    return Swift.max(1, top - pointCount + 1)
  }

  /// An empty tree over `pointCount` points with room for `capacity` rows.
  private init(pointCount: Int, capacity: Int) {
    self.pointCount = pointCount
    parent = []; child = []; lambda = []; childSize = []
    parent.reserveCapacity(capacity); child.reserveCapacity(capacity)
    lambda.reserveCapacity(capacity); childSize.reserveCapacity(capacity)
  }

  /// A tree over `pointCount` points from its columns, rows in the order `condense` emits them.
  public init(pointCount: Int, parent: [Int], child: [Int], lambda: [Double], childSize: [Int]) {
    self.pointCount = pointCount
    self.parent = parent; self.child = child; self.lambda = lambda; self.childSize = childSize
  }

  /// Most rows a tree over `n` points condensed with `minClusterSize` can have,
  /// `min(2n + 1, n + 2⌊n / minClusterSize⌋ + 2)`: every point falls out once, and each split into
  /// two clusters of at least `minClusterSize` points adds two rows, with fewer such splits than
  /// `n / minClusterSize`.
  public static func rowBound(pointCount n: Int, minClusterSize: Int) -> Int {
    Swift.min(2 * n + 1, n + 2 * (n / Swift.max(1, minClusterSize)) + 2)
  }

  /// Condenses `linkage` with `minClusterSize ≥ 1`.
  ///
  /// - Complexity: O(n).
  public init<D: Dendrogram>(linkage: D, minClusterSize: Int) {
    let n = linkage.pointCount
    self.init(pointCount: n, capacity: CondensedTree.rowBound(pointCount: n, minClusterSize: minClusterSize))
    var parent = self.parent, child = self.child, lambda = self.lambda, childSize = self.childSize
    CondensedTree.condense(linkage, minClusterSize: minClusterSize) { p, c, value, size in
      parent.append(p); child.append(c); lambda.append(value); childSize.append(size)
    }
    self.parent = parent; self.child = child; self.lambda = lambda; self.childSize = childSize
  }

  /// Condenses `linkage` with `minClusterSize ≥ 1`, handing each row to `row(parent, child, λ,
  /// childSize)` in order (at most `rowBound` of them).
  ///
  /// - Complexity: O(n); 4 bytes per dendrogram node and 4 per point of scratch.
  @inline(__always)
  public static func condense<D: Dendrogram>(
    _ linkage: D, minClusterSize: Int, row emit: (_ parent: Int, _ child: Int, _ lambda: Double, _ childSize: Int) -> Void
  ) {
    let n = linkage.pointCount
    guard n > 1 else { return }
    let root = 2 * n - 2
    func sizeOf(_ node: Int) -> Int { node < n ? 1 : linkage.size(node - n) }
    // Cluster ids of the dendrogram nodes and the breadth-first queue, in 32 bits (n < 2³¹).
    var relabel = [Int32](repeating: 0, count: root + 1)
    relabel[root] = Int32(n)
    var nextLabel = n + 1
    var queue: [Int32] = [Int32(root)]
    queue.reserveCapacity(n)
    var head = 0
    var subtree: [Int] = []
    // Emits every point below `top` (breadth-first) as falling out of `cluster` at `value`.
    func dropSubtree(_ top: Int, from cluster: Int, at value: Double) {
      subtree.removeAll(keepingCapacity: true)
      subtree.append(top)
      var at = 0
      while at < subtree.count {
        let node = subtree[at]
        at += 1
        if node < n {
          emit(cluster, node, value, 1)
        } else {
          subtree.append(linkage.left(node - n))
          subtree.append(linkage.right(node - n))
        }
      }
    }
    while head < queue.count {
      let node = Int(queue[head])
      head += 1
      let row = node - n
      let left = linkage.left(row), right = linkage.right(row)
      let height = linkage.distance(row)
      let value = height > 0 ? 1 / height : Double.infinity
      let leftCount = sizeOf(left), rightCount = sizeOf(right)
      let cluster = Int(relabel[node])
      let leftBig = leftCount >= minClusterSize, rightBig = rightCount >= minClusterSize
      if leftBig && rightBig {
        relabel[left] = Int32(nextLabel)
        emit(cluster, nextLabel, value, leftCount)
        relabel[right] = Int32(nextLabel + 1)
        emit(cluster, nextLabel + 1, value, rightCount)
        nextLabel += 2
      } else if !leftBig && !rightBig {
        dropSubtree(left, from: cluster, at: value)
        dropSubtree(right, from: cluster, at: value)
        continue
      } else if !leftBig {
        relabel[right] = Int32(cluster)
        dropSubtree(left, from: cluster, at: value)
        if right >= n { queue.append(Int32(right)) }
        continue
      } else {
        relabel[left] = Int32(cluster)
        dropSubtree(right, from: cluster, at: value)
        if left >= n { queue.append(Int32(left)) }
        continue
      }
      if left >= n { queue.append(Int32(left)) }
      if right >= n { queue.append(Int32(right)) }
    }
  }
}
