import LossLensCore

/// Projects one atom onto its constraint set and writes it into the dictionary; with an
/// `ImplicitCross`, also lists what the projection clipped (or the atom's support, if smaller) so
/// that the atom's new cross `X wᵀ` follows without streaming X.
enum AtomProjection {
  /// Writes the projection of `work.atom` (the preimage z, length p, clobbered) into `row`:
  /// `max(z, 0) / max(‖max(z, 0)‖, 1)` (or `z / max(‖z‖, 1)` when not `positive`) for the unit
  /// ball, Condat's projection for the simplex. With `implicit`, records atom `a`'s cross.
  /// For the unit ball, the caller has measured every stripe of z with `measure`.
  ///
  /// - Complexity: O(p) expected, stripes spread over `threads` (the simplex threshold is serial).
  static func project<T: LossLensReal>(
    _ work: Workspace<T>, into row: UnsafeMutablePointer<T>, atom a: Int, constraint: AtomConstraint,
    positive: Bool, implicit: ImplicitCross?, threads: Int
  ) {
    switch constraint {
    case .unitNorm: projectOntoBall(work, into: row, atom: a, positive: positive, implicit: implicit, threads: threads)
    case .simplex: projectOntoSimplex(work, into: row, atom: a, implicit: implicit, threads: threads)
    }
  }

  /// Stores stripe `s`'s squared norm of the kept part of `work.atom` and its count of negative
  /// entries, which the unit-ball projection needs; called from the loop that forms the preimage.
  @inline(__always)
  static func measure<T>(_ work: Workspace<T>, stripe s: Int, positive: Bool) {
    let z = work.atom
    var squared = 0.0, negatives = 0
    for f in work.stripes.range(s) {
      let kept = positive ? Swift.max(z[f], 0) : z[f]
      squared += kept * kept
      negatives += z[f] < 0 ? 1 : 0
    }
    work.partialNorms[s] = squared
    work.partialCounts[s] = negatives
  }

  private static func projectOntoBall<T: LossLensReal>(
    _ work: Workspace<T>, into row: UnsafeMutablePointer<T>, atom a: Int, positive: Bool,
    implicit: ImplicitCross?, threads: Int
  ) {
    let z = work.atom, stripes = work.stripes, partialNorms = work.partialNorms, partialCounts = work.partialCounts
    var squared = 0.0, negatives = 0
    for s in 0..<stripes.count {
      squared += partialNorms[s]
      negatives += partialCounts[s]
    }
    let norm = Swift.max(squared.squareRoot(), 1)
    // Gather the clipped entries (none without positivity) or the support, whichever is smaller.
    let listClipped = !positive || 2 * negatives <= work.features
    parallelFor(stripes.count, threads: threads) { range in
      for s in range {
        let features = stripes.range(s)
        if positive {
          for f in features { row[f] = T(Swift.max(z[f], 0) / norm) }
        } else {
          for f in features { row[f] = T(z[f] / norm) }
        }
        guard let implicit else { continue }
        let indices = implicit.indices + a * work.features + features.lowerBound
        let values = implicit.values + a * work.features + features.lowerBound
        var listed = 0
        if !listClipped {
          for f in features where row[f] != 0 {
            indices[listed] = Int32(truncatingIfNeeded: f)
            values[listed] = Double(row[f])
            listed += 1
          }
        } else if positive {
          for f in features where z[f] < 0 {
            indices[listed] = Int32(truncatingIfNeeded: f)
            values[listed] = z[f]
            listed += 1
          }
        }
        implicit.counts[a * stripes.count + s] = listed
      }
    }
    implicit?.finishAtom(a, residue: listClipped ? .clipped(scale: 1 / norm, shift: 0) : .support)
  }

  private static func projectOntoSimplex<T: LossLensReal>(
    _ work: Workspace<T>, into row: UnsafeMutablePointer<T>, atom a: Int, implicit: ImplicitCross?, threads: Int
  ) {
    let z = work.atom, source = work.preimageAtom, stripes = work.stripes, partialCounts = work.partialCounts
    let p = work.features
    if implicit != nil { source.update(from: z, count: p) }
    let shift = SimplexProjection.projectInPlace(UnsafeMutableBufferPointer(start: z, count: p), radius: 1,
                                                 workspace: &work.simplex)
    parallelFor(stripes.count, threads: threads) { range in
      for s in range {
        var support = 0
        for f in stripes.range(s) {
          row[f] = T(z[f])
          if z[f] > 0 { support += 1 }
        }
        partialCounts[s] = support
      }
    }
    guard let implicit else { return }
    var support = 0
    for s in 0..<stripes.count { support += partialCounts[s] }
    let listSupport = 2 * support <= p
    parallelFor(stripes.count, threads: threads) { range in
      for s in range {
        let features = stripes.range(s)
        let indices = implicit.indices + a * p + features.lowerBound
        let values = implicit.values + a * p + features.lowerBound
        var listed = 0
        for f in features where listSupport ? z[f] > 0 : z[f] == 0 {
          indices[listed] = Int32(truncatingIfNeeded: f)
          values[listed] = listSupport ? Double(row[f]) : source[f] - shift
          listed += 1
        }
        implicit.counts[a * stripes.count + s] = listed
      }
    }
    implicit.finishAtom(a, residue: listSupport ? .support : .clipped(scale: 1, shift: shift))
  }
}
