import LossLensCore

/// DIDS §4.1 gradient sketch: keep each row's `topk` entries of largest magnitude, then project with
/// a block-generated Johnson–Lindenstrauss matrix (eq. (5), appendix A).
public enum GradientSketch {
  /// Sketches the `m × h` rows of `x` into `out` (`m × s`).
  ///
  /// - Complexity: O(m·h) for the selections, O(m·h·s) for the projection, O(m·topk) scratch
  ///   plus one pass buffer of m × 8192 values.
  public static func transform<T: LossLensReal>(
    _ x: UnsafePointer<T>, rows m: Int, projection: RandomProjection, topk: Int,
    columnScale: UnsafePointer<Double>?, into out: UnsafeMutablePointer<T>, threads: Int
  ) throws(LossLensError) {
    let h = projection.inputs
    guard m > 0 else { throw .invalid("X must have at least one row") }
    guard topk >= 1 else { throw .invalid("topk must keep at least one entry per row (got \(topk))") }
    guard Matrix.allFinite(x, count: m * h) else { throw .invalid("gradients contain NaN or infinity") }
    let perRow = min(topk, h)
    let kept = UnsafeMutablePointer<Int32>.allocate(capacity: m * perRow)
    defer { kept.deallocate() }
    parallelFor(m, grain: 16, threads: threads) { range in
      let scratch = UnsafeMutablePointer<T>.allocate(capacity: h)
      defer { scratch.deallocate() }
      for i in range {
        TopK.indices(of: x + i * h, h: h, count: perRow, scratch: scratch, into: kept + i * perRow)
      }
    }
    try Cancellation.check()
    projection.project(
      x, rows: m, kept: kept, perRow: perRow, columnScale: columnScale, into: out, threads: threads)
  }
}
