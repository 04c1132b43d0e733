import LossLensCore

/// One thread's view of the squared distances between the points of a query block and of a
/// candidate block (nodes) of a `KDTree` held by column: one query point against `LeafTile.span`
/// candidates at a time, in registers.
///
/// The queries are widened to `Double` once into a buffer by feature; candidates are read in place
/// from the tree's columns (a vector may run past the block: those lanes are masked). An exact
/// distance (`block`, `exact`) is the sum over the features in feature order of the squared
/// differences, with no fused multiply-add, exactly as `KDTree.distanceSquared` (and scikit-learn's
/// `KDTree`) sums it. A `Float` tree is first screened in single precision (`screen`), eight lanes
/// per register, and only the candidates the screen passes are measured exactly.
struct LeafTile<S: LossLensReal> {
  /// Candidates per vector.
  static var lanes: Int { 8 }
  /// Candidates measured against one query at a time (two vectors).
  static var span: Int { 16 }
  typealias Lanes = SIMD8<Double>
  typealias Narrow = SIMD8<Float>

  /// Number of features; query buffer length (a whole number of `lanes`).
  let dim: Int, capacity: Int
  /// The tree's columns (dim × stride).
  private let columns: UnsafePointer<S>, stride: Int
  /// Query points by feature (dim × capacity), and as `Float` for a `Float` tree's screening.
  private let queries: UnsafeMutablePointer<Double>, narrow: UnsafeMutablePointer<Float>
  /// Queries loaded; first tree position and number of the candidates.
  private(set) var queryCount = 0, candidateStart = 0, candidateCount = 0

  /// A tile over `tree` for query blocks of at most `capacity` points.
  init(_ tree: KDTree<S>, capacity points: Int) {
    dim = tree.dim
    columns = UnsafePointer(tree.columns)
    stride = tree.count
    capacity = (points + LeafTile.lanes - 1) / LeafTile.lanes * LeafTile.lanes
    queries = .allocate(capacity: dim * capacity)
    queries.initialize(repeating: 0, count: dim * capacity)
    let narrowCount = S.self == Float.self ? dim * capacity : 1
    narrow = .allocate(capacity: narrowCount)
    narrow.initialize(repeating: 0, count: narrowCount)
  }

  /// Releases the query buffer.
  func deallocate() { queries.deallocate(); narrow.deallocate() }

  /// Widens the points of tree positions `first..<end` (at most `capacity`) into the query buffer.
  mutating func loadQueries(_ first: Int, _ end: Int) {
    queryCount = end - first
    for k in 0..<dim {
      let column = columns + k * stride + first, row = queries + k * capacity
      for t in 0..<queryCount { row[t] = Double(column[t]) }
      if S.self == Float.self {
        let row = narrow + k * capacity
        for t in 0..<queryCount { row[t] = Float(column[t]) }
      }
    }
  }

  /// Takes tree positions `first..<end` as the candidates.
  mutating func setCandidates(_ first: Int, _ end: Int) {
    candidateStart = first
    candidateCount = end - first
  }

  /// Writes to `rows` the queries whose squared gap to the box `lower...upper` (dim coordinates
  /// each) is at most their `bound`; returns how many. Widening, subtraction, squares and sums
  /// round monotonically, so a gap never exceeds the computed distance to a point of the box.
  @inline(__always) func queriesReaching(
    lower: UnsafePointer<Double>, upper: UnsafePointer<Double>, bounds: UnsafePointer<Double>,
    into rows: UnsafeMutablePointer<Int>
  ) -> Int {
    var found = 0
    for row in Swift.stride(from: 0, to: queryCount, by: LeafTile.lanes) {
      var sum = Lanes()
      for k in 0..<dim {
        let q = UnsafeRawPointer(queries + k * capacity + row).loadUnaligned(as: Lanes.self)
        var gap = Lanes(repeating: lower[k]) - q
        let above = q - Lanes(repeating: upper[k])
        gap.replace(with: above, where: above .> gap)
        gap.replace(with: 0, where: gap .< Lanes())
        sum += gap * gap
      }
      let bound = UnsafeRawPointer(bounds + row).loadUnaligned(as: Lanes.self)
      var bits = LeafTile.bits(sum .<= bound)
      while bits != 0 {
        let j = bits.trailingZeroBitCount
        bits &= bits - 1
        if row + j < queryCount { rows[found] = row + j; found += 1 }
      }
    }
    return found
  }

  /// The candidates of the block from `lane` on (`span` of them) that query `row` (buffer
  /// position) may take, as bits (candidate `lane` the lowest), given its `bound`: every candidate
  /// whose exact squared distance is strictly below the bound, and for a `Float` tree also those the
  /// single-precision screen cannot tell apart from one (to be measured exactly).
  @inline(__always) func candidates(_ row: Int, _ lane: Int, bound: Double) -> UInt32 {
    let left = candidateCount - lane
    if S.self == Float.self {
      let order = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7), limit = SIMD8<Int32>(repeating: Int32(left))
      let (d0, d1) = screen(row, lane)
      let screenBound = Narrow(repeating: LeafTile.screenBound(bound))
      let m0 = (order .< limit) .& (d0 .<= screenBound)
      let m1 = (order &+ 8 .< limit) .& (d1 .<= screenBound)
      return LeafTile.bits(m0) | LeafTile.bits(m1) << 8
    }
    let order = SIMD8<Int64>(0, 1, 2, 3, 4, 5, 6, 7), limit = SIMD8<Int64>(repeating: Int64(left))
    let (d0, d1) = block(row, lane)
    let exactBound = Lanes(repeating: bound)
    let m0 = (order .< limit) .& (d0 .< exactBound), m1 = (order &+ 8 .< limit) .& (d1 .< exactBound)
    return LeafTile.bits(m0) | LeafTile.bits(m1) << 8
  }

  /// Squared distances from query `row` (buffer position) to the `span` candidates from `lane` on.
  @inline(__always) private func block(_ row: Int, _ lane: Int) -> (Lanes, Lanes) {
    var s0 = Lanes(), s1 = Lanes()
    for k in 0..<dim {
      let c = columns + k * stride + candidateStart + lane
      let q = Lanes(repeating: queries[k * capacity + row])
      let v0 = LeafTile.widened(c) - q, v1 = LeafTile.widened(c + LeafTile.lanes) - q
      s0 += v0 * v0; s1 += v1 * v1
    }
    return (s0, s1)
  }

  /// Single-precision squared distances from query `row` to the `span` candidates from `lane` on (a
  /// `Float` tree only). For `Float` points the differences are exact up to one rounding and every
  /// term is non-negative, so each value is within a relative `(dim + 2) · 2⁻²⁴` (1.1e-6 up to 16
  /// features) of the exact distance, apart from subnormal results below 1e-37.
  @inline(__always) private func screen(_ row: Int, _ lane: Int) -> (Narrow, Narrow) {
    let points = UnsafeRawPointer(columns), size = MemoryLayout<Float>.stride
    var s0 = Narrow(), s1 = Narrow()
    for k in 0..<dim {
      let at = (k * stride + candidateStart + lane) * size
      let q = Narrow(repeating: narrow[k * capacity + row])
      let v0 = points.loadUnaligned(fromByteOffset: at, as: Narrow.self) - q
      let v1 = points.loadUnaligned(fromByteOffset: at + LeafTile.lanes * size, as: Narrow.self) - q
      LeafTile.multiplyAdd(&s0, v0); LeafTile.multiplyAdd(&s1, v1)
    }
    return (s0, s1)
  }

  /// The largest single-precision screen value that may belong to a candidate exactly below
  /// `bound`: a relative margin of 1e-5 over the screen's error, plus 1e-37 for subnormal rounding.
  @inline(__always) static func screenBound(_ bound: Double) -> Float {
    Float(bound * (1 + 1e-5)) + 1e-37
  }

  /// The exact squared distance from query `row` (buffer position) to tree position `t`, summed as
  /// `block` sums it.
  @inline(__always) func exact(_ row: Int, _ t: Int) -> Double {
    var sum = 0.0
    for k in 0..<dim {
      let v = Double(columns[k * stride + t]) - queries[k * capacity + row]
      sum += v * v
    }
    return sum
  }

  /// `sum += v·v` lane by lane: fused where the target has FMA; a multiply and an add on the
  /// x86-64-v2 baseline (`-DLOSSLENS_NO_FMA`), where a fused one would call libm per lane.
  @inline(__always) private static func multiplyAdd(_ sum: inout Narrow, _ v: Narrow) {
    #if LOSSLENS_NO_FMA
      sum += v * v
    #else
      sum.addProduct(v, v)
    #endif
  }

  /// Eight values from `p`, widened to `Double`.
  @inline(__always) private static func widened(_ p: UnsafePointer<S>) -> Lanes {
    var v = Lanes()
    for i in 0..<LeafTile.lanes { v[i] = Double(p[i]) }
    return v
  }

  /// The eight lanes of a single-precision `mask` as the low bits of an integer (lane 0 the lowest),
  /// without a branch per lane: a mask's lanes are all ones or all zeros.
  @inline(__always) static func bits(_ mask: SIMDMask<SIMD8<Int32>>) -> UInt32 {
    let lanes = unsafeBitCast(mask, to: SIMD8<Int32>.self)
    return UInt32(truncatingIfNeeded: (lanes & SIMD8<Int32>(1, 2, 4, 8, 16, 32, 64, 128)).wrappedSum())
  }

  /// The eight lanes of a double-precision `mask` as the low bits of an integer (lane 0 the lowest).
  @inline(__always) static func bits(_ mask: SIMDMask<SIMD8<Int64>>) -> UInt32 {
    let lanes = unsafeBitCast(mask, to: SIMD8<Int64>.self)
    return UInt32(truncatingIfNeeded: (lanes & SIMD8<Int64>(1, 2, 4, 8, 16, 32, 64, 128)).wrappedSum())
  }
}
