/// A single-linkage dendrogram over `pointCount` points, read merge by merge in SciPy's linkage
/// layout: merge `row` joins clusters `left(row)` and `right(row)` (ids `< n` are points, `n + k`
/// is the cluster merge `k` created) at `distance(row)` into a cluster of `size(row)` points.
public protocol Dendrogram {
  /// Number of points (`merges + 1`).
  var pointCount: Int { get }
  /// Cluster on the source side of merge `row`.
  func left(_ row: Int) -> Int
  /// Cluster on the target side of merge `row`.
  func right(_ row: Int) -> Int
  /// Height of merge `row`.
  func distance(_ row: Int) -> Double
  /// Points in the cluster merge `row` creates.
  func size(_ row: Int) -> Int
}

/// The single-linkage dendrogram of a spanning tree, held as arrays.
///
/// Row `i` merges clusters `left[i]` and `right[i]` (ids `< n` are points, `n + k` is the cluster
/// row `k` created) at `distance[i]` into a cluster of `size[i]` points. Edges are taken in a
/// given order of increasing weight; `left` holds the side of the edge's source.
///
/// The order is the caller's because equal mutual-reachability weights are common (every edge that
/// ends at a core distance); the references break those ties with NumPy's `argsort`, and the
/// dendrogram (hence the clusters) depends on it.
public struct SingleLinkage: Dendrogram, Sendable {
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

  /// Builds the dendrogram over `n ≥ 1` points from `n − 1` edges already in merge order (see
  /// `merge(pointCount:edge:into:)`). Returns `nil` when the edges do not span the points.
  public init?(pointCount n: Int, edge: (Int) -> (source: Int, target: Int, weight: Double)) {
    var left: [Int] = [], right: [Int] = [], distance: [Double] = [], size: [Int] = []
    left.reserveCapacity(n - 1); right.reserveCapacity(n - 1)
    distance.reserveCapacity(n - 1); size.reserveCapacity(n - 1)
    let spans = SingleLinkage.merge(pointCount: n, edge: edge) { _, a, b, height, count in
      left.append(a); right.append(b); distance.append(height); size.append(count)
    }
    guard spans else { return nil }
    self.left = left; self.right = right; self.distance = distance; self.size = size
  }

  /// Merges `n ≥ 1` points along `n − 1` edges already in merge order (increasing weight, ties as
  /// the caller wants them broken): `edge(i)` is the `i`-th edge's source, target and weight. Each
  /// merge is handed to `body(row, left, right, distance, size)` in order. Returns `false`, having
  /// stopped, when an edge joins two points already connected.
  ///
  /// - Complexity: near-linear; 8 bytes per point of scratch (`MergeSets`).
  @inline(__always)
  public static func merge(
    pointCount n: Int, edge: (Int) -> (source: Int, target: Int, weight: Double),
    into body: (_ row: Int, _ left: Int, _ right: Int, _ distance: Double, _ size: Int) -> Void
  ) -> Bool {
    let sets = MergeSets(count: n)
    defer { sets.deallocate() }
    for row in 0..<(n - 1) {
      let (source, target, weight) = edge(row)
      let a = sets.find(source), b = sets.find(target)
      guard a != b else { return false }
      let (left, right) = (sets.id(a), sets.id(b))
      let size = sets.link(roots: a, b, id: n + row)
      body(row, left, right, weight, size)
    }
    return true
  }

  /// Cluster on the source side of merge `row`.
  public func left(_ row: Int) -> Int { left[row] }
  /// Cluster on the target side of merge `row`.
  public func right(_ row: Int) -> Int { right[row] }
  /// Height of merge `row`.
  public func distance(_ row: Int) -> Double { distance[row] }
  /// Points in the cluster merge `row` creates.
  public func size(_ row: Int) -> Int { size[row] }
}

/// A dendrogram held in SciPy's linkage format: `rows` × 4 values (left, right, distance, size),
/// ids and sizes stored as whole `Double` values.
public struct LinkageRows: Dendrogram {
  /// The rows (`pointCount − 1` of them).
  public let values: UnsafePointer<Double>
  /// Number of points (`rows + 1`).
  public let pointCount: Int

  /// A view of the `pointCount − 1` rows at `values`.
  public init(_ values: UnsafePointer<Double>, pointCount: Int) {
    self.values = values
    self.pointCount = pointCount
  }

  /// Cluster on the source side of merge `row` (column 0).
  public func left(_ row: Int) -> Int { Int(values[4 * row]) }
  /// Cluster on the target side of merge `row` (column 1).
  public func right(_ row: Int) -> Int { Int(values[4 * row + 1]) }
  /// Height of merge `row` (column 2).
  public func distance(_ row: Int) -> Double { values[4 * row + 2] }
  /// Points in the cluster merge `row` creates (column 3).
  public func size(_ row: Int) -> Int { Int(values[4 * row + 3]) }
}

/// Disjoint sets of points (union by size, path halving) that keep at each root the dendrogram id
/// of the set: one 8-byte record per point (`n < 2³¹`) holding its parent, or at a root its size
/// and id, so that a root's size and id share the cache line of the find that reached it.
struct MergeSets {
  /// Per point: the parent (≥ 0), or −size at a root; and the id at a root.
  private let up: UnsafeMutablePointer<SIMD2<Int32>>

  /// `count` singletons, each its own id.
  init(count: Int) {
    up = .allocate(capacity: Swift.max(1, count))
    for i in 0..<count { up[i] = SIMD2(-1, Int32(truncatingIfNeeded: i)) }
  }

  /// Releases the records.
  func deallocate() { up.deallocate() }

  /// Root of `x`'s set, halving the path on the way.
  @inline(__always) func find(_ x: Int) -> Int {
    var x = x
    while true {
      let parent = up[x].x
      if parent < 0 { return x }
      let grand = up[Int(parent)].x
      if grand < 0 { return Int(parent) }
      up[x].x = grand
      x = Int(grand)
    }
  }

  /// The id of the set of root `root`.
  @inline(__always) func id(_ root: Int) -> Int { Int(up[root].y) }

  /// Joins the distinct sets of roots `a` and `b` (the smaller under the larger) under the id
  /// `id`; returns the joined set's size.
  @inline(__always) func link(roots a: Int, _ b: Int, id: Int) -> Int {
    let size = -(up[a].x + up[b].x)
    let (big, small) = up[a].x <= up[b].x ? (a, b) : (b, a)
    up[small].x = Int32(big)
    up[big] = SIMD2(-size, Int32(truncatingIfNeeded: id))
    return Int(size)
  }
}
