import LossLensCore

/// A k-d tree over row-major points of scalar type `S` (`Float` or `Double`) for exact Euclidean
/// nearest-neighbour and Borůvka queries.
///
/// Coordinates are stored as they come (`Float` input is never widened into a copy) and every
/// distance is computed in `Double` from them: widening a `Float` is exact, so the distances are
/// exactly those of the `Double` points equal to the input, and no tie needs a re-check.
///
/// Up to `projectionThreshold` features the points are copied in tree order by feature (one column
/// per feature), so that a leaf's distances are computed several points per vector lane; single
/// rows are read from the caller's input, which is not copied otherwise. Each node keeps the
/// bounding box of its points' *keys*: the coordinates themselves in low dimension, or in high
/// dimension the projections on a few leading principal axes (`ProjectionBounds`). A projection
/// never lengthens a distance, so a key box still bounds distances from below, up to `slack` for
/// the rounding of the projection. Distances themselves are always summed over the original
/// features in feature order, exactly as scikit-learn's `KDTree` does, so core distances and tree
/// weights match it bit for bit.
public struct KDTree<S: LossLensReal>: @unchecked Sendable {
  /// Number of points and features.
  public let count: Int, dim: Int
  /// Number of key coordinates per point.
  public let width: Int
  /// The caller's points in their original order (count × dim); they must outlive the tree.
  let source: UnsafePointer<S>
  /// Projected keys by original index (count × width) above `projectionThreshold` features (else
  /// empty), as fractions of `keyScale`: 4 bytes per key coordinate.
  let keys: UnsafeMutablePointer<Float>
  /// The power of two the projected keys are fractions of (1 when the keys are the coordinates).
  let keyScale: Double
  /// Points in tree order by feature (dim × count), for distances to a leaf's points at once;
  /// only up to `projectionThreshold` features (else empty).
  let columns: UnsafeMutablePointer<S>
  /// Original index of the point at each tree position (32 bits: fewer than 2³¹ points).
  public let index: UnsafeMutablePointer<Int32>
  /// Number of nodes.
  public let nodeCount: Int
  /// First and one-past-last tree position of each node; children (−1 for leaves).
  let start: UnsafeMutablePointer<Int>, end: UnsafeMutablePointer<Int>
  let left: UnsafeMutablePointer<Int>, right: UnsafeMutablePointer<Int>
  /// Key bounding boxes (nodes × width) up to `projectionThreshold` features (else empty).
  let lower: UnsafeMutablePointer<Double>, upper: UnsafeMutablePointer<Double>
  /// Above `projectionThreshold` features, the bounding boxes of the `Float` keys as the same
  /// fractions of `keyScale` (nodes × width; exact, since every bound is a key); else empty.
  let lowerKeys: UnsafeMutablePointer<Float>, upperKeys: UnsafeMutablePointer<Float>
  /// The leaves, in tree order.
  public let leaves: [Int]
  /// Largest number of points in a leaf.
  let leafCapacity: Int
  /// `true` when `columns` holds the points (up to `projectionThreshold` features).
  var vectorLeaves: Bool { dim <= KDTree.projectionThreshold }
  /// Absolute margin by which a key-box distance may exceed a true distance through rounding.
  public let slack: Double

  /// Values allocated past the last column, so that a vector load at any position stays inside.
  static var columnPadding: Int { 16 }

  /// Dimension above which the boxes bound projections rather than coordinates.
  public static var projectionThreshold: Int { 16 }

  /// Builds the tree over `n < 2³¹` points with leaves of at most `leafSize` points, splitting the
  /// widest key dimension at its median; the subtrees below the top levels are built on `threads`
  /// threads (the same tree whatever the count).
  ///
  /// - Complexity: O(n log n · width + n · dim · width).
  public init(_ x: UnsafePointer<S>, count n: Int, dim d: Int, leafSize: Int = 24, threads: Int = 1) {
    count = n
    dim = d
    source = x
    index = .allocate(capacity: max(1, n))
    for i in 0..<n { index[i] = Int32(truncatingIfNeeded: i) }
    // Keys by original index (the coordinates themselves in low dimension); projected keys are
    // stored as `Float` fractions of a power of two `keyScale` at least as large as any of them.
    let projected = d > KDTree.projectionThreshold
    let w = projected ? KDTree.projectionThreshold : d
    var scale = 1.0, margin = 0.0
    let keyStore = UnsafeMutablePointer<Float>.allocate(capacity: projected ? max(1, n * w) : 1)
    if projected {
      let largest = ProjectionBounds.largestMagnitude(x, count: n * d)
      // A projection on a unit axis is at most the point's length, at most √d times its largest coordinate.
      scale = ProjectionBounds.powerOfTwo(atLeast: largest * Double(d).squareRoot())
      let rowScale = ProjectionBounds.powerOfTwo(atLeast: largest)
      let axes = ProjectionBounds.axes(x, count: n, dim: d, width: w, scale: rowScale)
      ProjectionBounds.project(x, count: n, dim: d, axes: axes, width: w, scale: rowScale, keyScale: scale,
                               into: keyStore)
      // Rounding of the projections is relative to the coordinates' size, not to the distance: 1e-9
      // of it for the projection, and 2⁻²⁴ of `scale` per key coordinate for the `Float` keys (a
      // query's and a box's: √w · 2⁻²³ over w of them; doubled).
      margin = (1e-9 + Double(w).squareRoot() * 0x1p-22) * scale + 1e-300
    }
    width = w
    keys = keyStore
    keyScale = scale
    slack = margin
    let order = index, projectedKeys: UnsafePointer<Float>? = projected ? UnsafePointer(keyStore) : nil
    // The top of the tree on this thread, down to nodes of at most `taskSize` points; those
    // subtrees on `threads` threads (each orders its own range of `index`), then spliced in.
    let taskSize = threads > 1 ? n / (2 * threads) + 1 : 0
    var top = KDNodes()
    top.grow(order, 0, n, width: w, leafSize: leafSize, deferAtMost: taskSize, points: x, keys: projectedKeys)
    var subtrees = top.deferred.map { node in
      var nodes = KDNodes()
      nodes.reserve(points: top.end[node] - top.start[node], width: w, leafSize: leafSize)
      return nodes
    }
    subtrees.withUnsafeMutableBufferPointer { subtrees in
      parallelFor(top.deferred.count, threads: threads) { range in
        for task in range {
          let node = top.deferred[task]
          subtrees[task].grow(order, top.start[node], top.end[node], width: w, leafSize: leafSize, deferAtMost: 0,
                              points: x, keys: projectedKeys)
        }
      }
    }
    let nodes = top.splicing(subtrees, width: w)
    let byColumn = d <= KDTree.projectionThreshold
    columns = .allocate(capacity: byColumn ? n * d + KDTree.columnPadding : 1)
    if byColumn {
      let columns = self.columns
      parallelFor(n, grain: 65536, threads: threads) { range in
        for t in range { for k in 0..<d { columns[k * n + t] = x[Int(order[t]) * d + k] } }
      }
      (columns + n * d).initialize(repeating: 0, count: KDTree.columnPadding)
    }
    nodeCount = nodes.start.count
    leaves = (0..<nodeCount).filter { nodes.left[$0] < 0 }
    leafCapacity = nodes.largestLeaf
    func copy<T>(_ a: [T]) -> UnsafeMutablePointer<T> {
      let p = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(1, a.count))
      for i in 0..<a.count { p[i] = a[i] }
      return p
    }
    start = copy(nodes.start); end = copy(nodes.end); left = copy(nodes.left); right = copy(nodes.right)
    lower = copy(projected ? [] : nodes.low); upper = copy(projected ? [] : nodes.high)
    lowerKeys = copy(projected ? nodes.low.map { Float($0) } : [])
    upperKeys = copy(projected ? nodes.high.map { Float($0) } : [])
  }

  /// Releases the tree's buffers.
  public func deallocate() {
    keys.deallocate(); index.deallocate(); columns.deallocate()
    start.deallocate(); end.deallocate(); left.deallocate(); right.deallocate()
    lower.deallocate(); upper.deallocate(); lowerKeys.deallocate(); upperKeys.deallocate()
  }

  /// The coordinates of the point at tree position `position`.
  @inline(__always) func point(_ position: Int) -> UnsafePointer<S> {
    source + Int(index[position]) * dim
  }

  /// Writes the key of tree position `position` (its coordinates, or its projection) to `out`
  /// (`width` values), for `boxDistanceSquared(_:key:)`.
  @inline(__always) func loadKey(_ position: Int, into out: UnsafeMutablePointer<Double>) {
    if width == dim {
      let q = point(position)
      for k in 0..<width { out[k] = Double(q[k]) }
    } else {
      let q = keys + Int(index[position]) * width
      for k in 0..<width { out[k] = Double(q[k]) * keyScale }
    }
  }

  /// Squared key distance from the key `q` (`width` values, from `loadKey`) to the box of `node`.
  @inline(__always) func boxDistanceSquared(_ node: Int, key q: UnsafePointer<Double>) -> Double {
    let at = node * width
    return vectorLeaves
      ? KDTree.gapSquared(q, q, 1, lower + at, upper + at, 1, width: width)
      : KDTree.gapSquared(q, q, 1, lowerKeys + at, upperKeys + at, keyScale, width: width)
  }

  /// Squared key distance between the boxes of nodes `a` and `b`.
  @inline(__always) func boxGapSquared(_ a: Int, _ b: Int) -> Double {
    let la = a * width, lb = b * width
    return vectorLeaves
      ? KDTree.gapSquared(lower + la, upper + la, 1, lower + lb, upper + lb, 1, width: width)
      : KDTree.gapSquared(lowerKeys + la, upperKeys + la, keyScale, lowerKeys + lb, upperKeys + lb, keyScale,
                          width: width)
  }

  /// Squared gap between the box `la...ua` times `sa` and the box `lb...ub` times `sb` (`width`
  /// coordinates each; the scales are powers of two), summed in coordinate order.
  @inline(__always) private static func gapSquared<A: BinaryFloatingPoint, B: BinaryFloatingPoint>(
    _ la: UnsafePointer<A>, _ ua: UnsafePointer<A>, _ sa: Double,
    _ lb: UnsafePointer<B>, _ ub: UnsafePointer<B>, _ sb: Double, width: Int
  ) -> Double {
    var sum = 0.0
    for k in 0..<width {
      let gap = Swift.max(Double(lb[k]) * sb - Double(ua[k]) * sa, Double(la[k]) * sa - Double(ub[k]) * sb, 0)
      sum += gap * gap
    }
    return sum
  }

  /// A lower bound on the distance from a point to any point of a box at squared key distance `box2`.
  @inline(__always) func lowerBound(boxSquared box2: Double) -> Double {
    slack == 0 ? box2.squareRoot() : Swift.max(0, box2.squareRoot() - slack)
  }

  /// `true` when no point of a box at squared key distance `box2` can be within squared distance `limit2`.
  @inline(__always) func beyond(boxSquared box2: Double, _ limit2: Double) -> Bool {
    if slack == 0 { return box2 > limit2 }
    let r = limit2.squareRoot() + slack
    return box2 > r * r
  }

  /// Squared Euclidean distances from the point `q` to tree positions `first..<end` into `out`,
  /// each summed in feature order as `distanceSquared` does (several points per vector lane).
  /// Up to `projectionThreshold` features.
  @inline(__always) func distancesSquared(
    _ first: Int, _ end: Int, _ q: UnsafePointer<S>, into out: UnsafeMutablePointer<Double>
  ) {
    var t = first
    t = distancesSquared(SIMD8<Double>.self, t, end, q, first: first, into: out)
    t = distancesSquared(SIMD4<Double>.self, t, end, q, first: first, into: out)
    while t < end {
      out[t - first] = distanceSquared(t, q)
      t += 1
    }
  }

  /// The lanes of `distancesSquared(_:_:_:into:)`: blocks of `V.scalarCount` points from `t`
  /// while they fit before `end`; returns the first position left.
  @inline(__always) private func distancesSquared<V: SIMD>(
    _: V.Type, _ t: Int, _ end: Int, _ q: UnsafePointer<S>, first: Int, into out: UnsafeMutablePointer<Double>
  ) -> Int where V.Scalar == Double {
    var t = t
    while t + V.scalarCount <= end {
      var sum = V(repeating: 0)
      for k in 0..<dim {
        let column = columns + k * count + t
        var lane = V()
        for i in 0..<V.scalarCount { lane[i] = Double(column[i]) }   // one widening load
        let v = lane - V(repeating: Double(q[k]))
        sum += v * v
      }
      for i in 0..<V.scalarCount { out[t - first + i] = sum[i] }
      t += V.scalarCount
    }
    return t
  }

  /// Pushes children `l` and `r` at squared key distances `bl`, `br` so that the nearer pops first.
  @inline(__always) static func pushNearerLast(
    _ stack: inout [(Int, Double)], _ l: Int, _ bl: Double, _ r: Int, _ br: Double
  ) {
    if bl <= br {
      stack.append((r, br)); stack.append((l, bl))
    } else {
      stack.append((l, bl)); stack.append((r, br))
    }
  }

  /// Squared Euclidean distance between tree position `position` and the point `q`, summed in
  /// feature order; once a partial sum exceeds `limit2` it returns that partial sum (still above
  /// `limit2`), since later terms only add to it.
  @inline(__always) func distanceSquared(_ position: Int, _ q: UnsafePointer<S>, limit2: Double = .infinity)
    -> Double
  {
    var sum = 0.0
    let p = point(position)
    if dim <= KDTree.projectionThreshold {
      for k in 0..<dim {
        let t = Double(q[k]) - Double(p[k])
        sum += t * t
      }
      return sum
    }
    var k = 0
    while k < dim {
      let stop = Swift.min(dim, k + 8)
      while k < stop {
        let t = Double(q[k]) - Double(p[k])
        sum += t * t
        k += 1
      }
      if sum > limit2 { return sum }
    }
    return sum
  }
}
