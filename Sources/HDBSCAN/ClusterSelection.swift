import LossLensCore

/// How flat clusters are read off the condensed tree.
public struct SelectionOptions: Sendable {
  /// `true`: excess of mass (HDBSCAN [excess of mass]; Campello et al. 2013, eq. (3)–(4)); `false`: the leaves.
  public var excessOfMass: Bool
  /// Clusters born below this distance are merged up to an ancestor born above it (0: off).
  public var epsilon: Double
  /// EOM never selects a cluster larger than this (0: no limit).
  public var maxClusterSize: Int
  /// Lets the root be selected as the only cluster.
  public var allowSingleCluster: Bool

  /// Bundles the options.
  public init(excessOfMass: Bool, epsilon: Double, maxClusterSize: Int, allowSingleCluster: Bool) {
    self.excessOfMass = excessOfMass
    self.epsilon = epsilon
    self.maxClusterSize = maxClusterSize
    self.allowSingleCluster = allowSingleCluster
  }
}

/// A flat clustering extracted from a condensed tree.
public struct FlatClustering: Sendable {
  /// Cluster index of each point, −1 for noise; clusters numbered by increasing tree id.
  public var labels: [Int]
  /// Membership strength of each point in [0, 1] (0 for noise).
  public var probabilities: [Double]
  /// Stability of each selected cluster divided by (its size · the largest λ of the tree).
  public var persistence: [Double]
  /// Condensed-tree id of each selected cluster, ascending.
  public var selected: [Int]
}

extension CondensedTree {
  /// Stability of every cluster id `n + c` (Campello et al. 2013, eq. (3)):
  /// `S(C) = Σ_{x ∈ C} (λ_x − λ_birth(C))`, summing each row's `(λ − λ_birth) · child_size`.
  ///
  /// - Complexity: O(rows).
  public func stabilities() -> [Double] {
    let n = pointCount
    let clusters = clusterCount
    var birth = [Double](repeating: 0, count: clusters)
    for row in 0..<count where child[row] >= n { birth[child[row] - n] = lambda[row] }
    var stability = [Double](repeating: 0, count: clusters)
    for row in 0..<count {
      let c = parent[row] - n
      stability[c] += (lambda[row] - birth[c]) * Double(childSize[row])
    }
    return stability
  }

  /// Largest λ among the rows of each cluster (its direct children), indexed by `id − n`: a
  /// maximum per part of the rows on each of `threads` threads, then over the parts.
  ///
  /// - Complexity: O(rows) work; O(threads · clusters) scratch.
  public func directDeaths(threads: Int = 1) -> [Double] {
    let n = pointCount, clusters = clusterCount
    let parts = Swift.max(1, Swift.min(threads, count / 100_000))
    let partial = UnsafeMutablePointer<Double>.allocate(capacity: parts * clusters)
    defer { partial.deallocate() }
    partial.initialize(repeating: 0, count: parts * clusters)
    parent.withUnsafeBufferPointer { parent in
      lambda.withUnsafeBufferPointer { lambda in
        parallelFor(parts, threads: parts) { range in
          for part in range {
            let deaths = partial + part * clusters
            for row in (count * part / parts)..<(count * (part + 1) / parts) {
              deaths[parent[row] - n] = Swift.max(deaths[parent[row] - n], lambda[row])
            }
          }
        }
      }
    }
    var deaths = [Double](repeating: 0, count: clusters)
    for part in 0..<parts { for c in 0..<clusters { deaths[c] = Swift.max(deaths[c], partial[part * clusters + c]) } }
    return deaths
  }

  /// Selects flat clusters, labels points and scores membership and persistence exactly as the
  /// `hdbscan` package's `get_clusters` does (EOM with its single-precision subtree sums, leaf,
  /// epsilon search, `max_cluster_size`, `allow_single_cluster`). The points are labelled on
  /// `threads` threads; each point must be the child of one row at most, as in every condensed tree.
  ///
  /// - Complexity: O(rows + clusters · depth).
  public func flatClustering(_ options: SelectionOptions, threads: Int = 1) -> FlatClustering {
    let n = pointCount
    guard count > 0 else {
      return FlatClustering(labels: [Int](repeating: -1, count: n), probabilities: [Double](repeating: 0, count: n),
                            persistence: [], selected: [])
    }
    let clusters = clusterCount
    var stability = stabilities()
    var children = [[Int]](repeating: [], count: clusters)   // child clusters, in row order
    var birthLambda = [Double](repeating: 0, count: clusters)
    var parentOf = [Int](repeating: -1, count: clusters)
    var size = [Int](repeating: 0, count: clusters)
    for row in 0..<count where childSize[row] > 1 {
      let c = child[row] - n, p = parent[row] - n
      children[p].append(c)
      birthLambda[c] = lambda[row]
      parentOf[c] = p
      size[c] = childSize[row]
    }
    let hasClusterTree = clusters > 1
    var isCluster = [Bool](repeating: false, count: clusters)
    let candidates = options.allowSingleCluster ? 0..<clusters : 1..<clusters
    for c in candidates { isCluster[c] = true }
    if options.allowSingleCluster {
      size[0] = children[0].reduce(0) { $0 + size[$1] }
    }
    let maxSize = options.maxClusterSize > 0 ? options.maxClusterSize : n + 1

    func descendants(of c: Int) -> [Int] {
      var out = [c], at = 0
      while at < out.count { out.append(contentsOf: children[out[at]]); at += 1 }
      return out
    }
    // The package's upward walk: the first ancestor born above epsilon (or the leaf itself).
    func traverseUp(_ leaf: Int) -> Int {
      let p = parentOf[leaf]
      if p == 0 { return options.allowSingleCluster ? 0 : leaf }
      if 1 / birthLambda[p] > options.epsilon { return p }
      return traverseUp(p)
    }
    func epsilonSearch(_ leaves: [Int]) -> Set<Int> {
      var chosen = Set<Int>(), processed = Set<Int>()
      for leaf in leaves {
        if 1 / birthLambda[leaf] < options.epsilon {
          if !processed.contains(leaf) {
            let top = traverseUp(leaf)
            chosen.insert(top)
            for sub in descendants(of: top) where sub != top { processed.insert(sub) }
          }
        } else {
          chosen.insert(leaf)
        }
      }
      return chosen
    }

    if options.excessOfMass {
      for c in candidates.reversed() {
        // The package accumulates subtree stability in single precision (`cdef float`).
        var subtree: Float = 0
        for ch in children[c] { subtree = Float(Double(subtree) + stability[ch]) }
        if Double(subtree) > stability[c] || size[c] > maxSize {
          isCluster[c] = false
          stability[c] = Double(subtree)
        } else {
          for sub in descendants(of: c) where sub != c { isCluster[sub] = false }
        }
      }
      if options.epsilon != 0 && hasClusterTree {
        let eom = candidates.filter { isCluster[$0] }
        var chosen = Set<Int>()
        if eom.count == 1 && eom[0] == 0 {
          if options.allowSingleCluster { chosen = [0] }
        } else {
          chosen = epsilonSearch(eom)
        }
        for c in candidates { isCluster[c] = chosen.contains(c) }
      }
    } else {
      let leaves = hasClusterTree ? (1..<clusters).filter { children[$0].isEmpty } : []
      let chosen = options.epsilon != 0 ? epsilonSearch(leaves) : Set(leaves)
      for c in candidates { isCluster[c] = chosen.contains(c) }
    }

    let selected = (0..<clusters).filter { isCluster[$0] && candidates.contains($0) }
    var labelOf = [Int](repeating: -1, count: clusters)
    for (k, c) in selected.enumerated() { labelOf[c] = k }
    // Nearest selected ancestor of every cluster (ids are topologically ordered).
    var owner = [Int](repeating: -1, count: clusters)
    for c in 0..<clusters {
      if isCluster[c] && candidates.contains(c) { owner[c] = c }
      else if parentOf[c] >= 0 { owner[c] = owner[parentOf[c]] }
    }
    let singleRoot = selected == [0] && options.allowSingleCluster
    let deaths = directDeaths(threads: threads)
    let rootMaxLambda = deaths[0]
    var labels = [Int](repeating: -1, count: n)
    var probabilities = [Double](repeating: 0, count: n)
    labels.withUnsafeMutableBufferPointer { labels in
      probabilities.withUnsafeMutableBufferPointer { probabilities in
        parallelFor(count, grain: 65536, threads: threads) { rows in
          for row in rows where child[row] < n {
            let point = child[row], o = owner[parent[row] - n]
            guard o >= 0 else { continue }
            if o == 0 {
              guard singleRoot else { continue }
              let threshold = options.epsilon != 0 ? 1 / options.epsilon : rootMaxLambda
              guard lambda[row] >= threshold else { continue }
            }
            labels[point] = labelOf[o]
            let death = deaths[o]
            if death == 0 || !lambda[row].isFinite {
              probabilities[point] = 1
            } else {
              probabilities[point] = Swift.min(lambda[row], death) / death
            }
          }
        }
      }
    }
    let maxLambda = lambda.max() ?? 0
    var members = [Int](repeating: 0, count: selected.count)
    for label in labels where label >= 0 { members[label] += 1 }
    let persistence = selected.enumerated().map { k, c -> Double in
      if maxLambda.isInfinite || maxLambda == 0 || members[k] == 0 { return 1 }
      return stability[c] / (Double(members[k]) * maxLambda)
    }
    return FlatClustering(labels: labels, probabilities: probabilities, persistence: persistence,
                          selected: selected.map { $0 + n })
  }
}
