/// Disjoint sets over `0..<count` (count < 2³¹) with path halving and union by size, in 8 bytes per element.
struct UnionFind {
  private var parent: [Int32]
  private var size: [Int32]

  /// `count` singletons.
  init(count: Int) {
    parent = (0..<Int32(count)).map { $0 }
    size = [Int32](repeating: 1, count: count)
  }

  /// Representative of `x`'s set.
  ///
  /// - Complexity: amortised near-constant.
  mutating func find(_ x: Int) -> Int {
    var x = x
    while Int(parent[x]) != x {
      parent[x] = parent[Int(parent[x])]
      x = Int(parent[x])
    }
    return x
  }

  /// Merges the sets of `a` and `b`; `false` when they were already one set.
  mutating func union(_ a: Int, _ b: Int) -> Bool {
    var ra = find(a), rb = find(b)
    if ra == rb { return false }
    if size[ra] < size[rb] { swap(&ra, &rb) }
    parent[rb] = Int32(ra)
    size[ra] += size[rb]
    return true
  }
}
