/// A k-d tree over row-major points for exact Euclidean nearest-neighbour and Borůvka queries.
///
/// Points are copied in tree order so that every leaf is a contiguous block; each node keeps its
/// bounding box. Distances are summed in feature order exactly as scikit-learn's `KDTree` does,
/// so core distances match it bit for bit.
public struct KDTree: @unchecked Sendable {
  /// Number of points and features.
  public let count: Int, dim: Int
  /// Points in tree order (count × dim).
  public let points: UnsafeMutablePointer<Double>
  /// Original index of the point at each tree position.
  public let index: UnsafeMutablePointer<Int>
  /// First and one-past-last tree position of each node.
  public private(set) var start: [Int] = [], end: [Int] = []
  /// Children of each node (−1 for leaves).
  public private(set) var left: [Int] = [], right: [Int] = []
  /// Bounding boxes (nodes × dim).
  public private(set) var lower: [Double] = [], upper: [Double] = []

  /// Builds the tree with leaves of at most `leafSize` points, splitting the widest dimension at
  /// its median.
  ///
  /// - Complexity: O(n log n · dim).
  public init(_ x: UnsafePointer<Double>, count n: Int, dim d: Int, leafSize: Int = 20) {
    count = n
    dim = d
    points = .allocate(capacity: max(1, n * d))
    index = .allocate(capacity: max(1, n))
    for i in 0..<n { index[i] = i }
    var stack = [(0, n, -1, false)]
    while let (lo, hi, parent, isRight) = stack.popLast() {
      let node = start.count
      start.append(lo); end.append(hi); left.append(-1); right.append(-1)
      if parent >= 0 { if isRight { right[parent] = node } else { left[parent] = node } }
      var widest = 0, spread = -1.0
      for k in 0..<d {
        var a = Double.infinity, b = -Double.infinity
        for t in lo..<hi { let v = x[index[t] * d + k]; a = Swift.min(a, v); b = Swift.max(b, v) }
        lower.append(a); upper.append(b)
        if b - a > spread { spread = b - a; widest = k }
      }
      guard hi - lo > leafSize, spread > 0 else { continue }
      let mid = (lo + hi) / 2
      KDTree.select(index, lo, hi, mid) { x[$0 * d + widest] }
      stack.append((mid, hi, node, true))
      stack.append((lo, mid, node, false))
    }
    for t in 0..<n { for k in 0..<d { points[t * d + k] = x[index[t] * d + k] } }
  }

  /// Releases the copied points.
  public func deallocate() {
    points.deallocate()
    index.deallocate()
  }

  /// Number of nodes.
  public var nodeCount: Int { start.count }

  /// Reorders `a[lo..<hi]` so that position `k` holds the element of rank `k − lo` by `key`.
  static func select(_ a: UnsafeMutablePointer<Int>, _ lo: Int, _ hi: Int, _ k: Int, key: (Int) -> Double) {
    var lo = lo, hi = hi - 1
    while lo < hi {
      let pivot = key(a[(lo + hi) / 2])
      var i = lo, j = hi
      while i <= j {
        while key(a[i]) < pivot { i += 1 }
        while key(a[j]) > pivot { j -= 1 }
        if i <= j { (a[i], a[j]) = (a[j], a[i]); i += 1; j -= 1 }
      }
      if k <= j { hi = j } else if k >= i { lo = i } else { return }
    }
  }

  /// Squared distance from `q` to the bounding box of `node`.
  @inlinable func boxDistanceSquared(_ node: Int, _ q: UnsafePointer<Double>) -> Double {
    var sum = 0.0
    let base = node * dim
    for k in 0..<dim {
      let v = q[k]
      let below = lower[base + k] - v, above = v - upper[base + k]
      let gap = Swift.max(below, above, 0)
      sum += gap * gap
    }
    return sum
  }

  /// Squared Euclidean distance between tree positions `a` and the vector `q`, in feature order.
  @inlinable func distanceSquared(_ position: Int, _ q: UnsafePointer<Double>) -> Double {
    var sum = 0.0
    let p = points + position * dim
    for k in 0..<dim {
      let t = q[k] - p[k]
      sum += t * t
    }
    return sum
  }
}
