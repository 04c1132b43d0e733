/// Disjoint sets over `0..<count` with path halving and union by size.
struct UnionFind {
  private var parent: [Int]
  private var size: [Int]

  /// `count` singletons.
  init(count: Int) {
    parent = Array(0..<count)
    size = [Int](repeating: 1, count: count)
  }

  /// Representative of `x`'s set.
  ///
  /// - Complexity: amortised near-constant.
  mutating func find(_ x: Int) -> Int {
    var x = x
    while parent[x] != x {
      parent[x] = parent[parent[x]]
      x = parent[x]
    }
    return x
  }

  /// Merges the sets of `a` and `b`; `false` when they were already one set.
  mutating func union(_ a: Int, _ b: Int) -> Bool {
    var ra = find(a), rb = find(b)
    if ra == rb { return false }
    if size[ra] < size[rb] { swap(&ra, &rb) }
    parent[rb] = ra
    size[ra] += size[rb]
    return true
  }
}
