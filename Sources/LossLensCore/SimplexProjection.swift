/// Euclidean projection onto the scaled probability simplex `{x : x ≥ 0, Σ x = radius}` (Simplex [projection]).
///
/// Condat's algorithm (L. Condat, "Fast projection onto the simplex and the l1 ball",
/// Math. Program. 158, 2016, doi:10.1007/s10107-015-0946-6): one pass with an online filter
/// finds a superset of the active entries, then Michelot-style sweeps remove the rest.
/// The threshold τ solves Σ max(yᵢ − τ, 0) = radius and xᵢ = max(yᵢ − τ, 0).
public enum SimplexProjection {
  /// Scratch space for one projection of length up to `capacity`.
  public struct Workspace {
    var active: UnsafeMutableBufferPointer<Double>
    var waiting: UnsafeMutableBufferPointer<Double>

    /// Allocates scratch space for vectors of length up to `capacity`.
    public init(capacity: Int) {
      active = .allocate(capacity: max(1, capacity))
      waiting = .allocate(capacity: max(1, capacity))
    }

    /// Releases the scratch space.
    public func deallocate() {
      active.deallocate()
      waiting.deallocate()
    }
  }

  /// The threshold τ of the projection of `y` (length `n ≥ 1`, finite) onto the simplex of `radius > 0`.
  ///
  /// - Complexity: O(n) expected, O(n²) worst case.
  public static func threshold(
    _ y: UnsafeBufferPointer<Double>, radius: Double, workspace: inout Workspace
  ) -> Double {
    let n = y.count
    let v = workspace.active, vt = workspace.waiting
    var nv = 1, nvt = 0
    v[0] = y[0]
    var rho = y[0] - radius
    for i in 1..<n {
      let yi = y[i]
      guard yi > rho else { continue }
      rho += (yi - rho) / Double(nv + 1)
      if rho > yi - radius {
        v[nv] = yi
        nv += 1
      } else {
        for j in 0..<nv { vt[nvt + j] = v[j] }
        nvt += nv
        v[0] = yi
        nv = 1
        rho = yi - radius
      }
    }
    for j in 0..<nvt where vt[j] > rho {
      v[nv] = vt[j]
      nv += 1
      rho += (vt[j] - rho) / Double(nv)
    }
    var changed = true
    while changed {
      changed = false
      var kept = 0
      for j in 0..<nv {
        let vj = v[j]
        if vj > rho {
          v[kept] = vj
          kept += 1
        } else {
          // Removing vj from the active set raises the running threshold.
          let remaining = nv - (j - kept) - 1
          if remaining > 0 { rho += (rho - vj) / Double(remaining) }
          changed = true
        }
      }
      nv = kept
    }
    return rho
  }

  /// Projects the finite vector `y` (length ≥ 1) onto the simplex of `radius > 0`, in place.
  ///
  /// The projection is invariant to adding a constant to every entry, so `y` is first shifted by
  /// its maximum: the threshold is then found among moderate numbers and the result keeps full
  /// precision (it sums to `radius` to rounding) even when the entries are huge.
  /// Returns the total shift τ: the result is `max(y − τ, 0)` up to rounding.
  /// - Complexity: O(n) expected.
  @discardableResult
  public static func projectInPlace(
    _ y: UnsafeMutableBufferPointer<Double>, radius: Double, workspace: inout Workspace
  ) -> Double {
    var largest = -Double.infinity
    for value in y { largest = Swift.max(largest, value) }
    for i in y.indices { y[i] -= largest }
    let tau = threshold(UnsafeBufferPointer(y), radius: radius, workspace: &workspace)
    for i in y.indices { y[i] = Swift.max(y[i] - tau, 0) }
    return largest + tau
  }

  /// Projects every column (`axis == 0`) or every row (`axis == 1`) of the row-major
  /// `rows × cols` matrix `x` onto the simplex of `radius`, writing into `out` (which may alias `x`).
  ///
  /// - Complexity: O(rows · cols) expected, spread over `threads` threads.
  public static func project<T: LossLensReal>(
    _ x: UnsafePointer<T>, rows: Int, cols: Int, axis: Int, radius: Double,
    into out: UnsafeMutablePointer<T>, threads: Int
  ) throws(LossLensError) {
    guard rows > 0, cols > 0 else { throw .invalid("X must not be empty (got shape (\(rows), \(cols)))") }
    guard axis == 0 || axis == 1 else { throw .invalid("axis must be 0 or 1 (got \(axis))") }
    guard radius > 0, radius.isFinite else { throw .invalid("radius must be a positive finite number (got \(radius))") }
    guard Matrix.allFinite(x, count: rows * cols) else { throw .invalid("X contains NaN or infinity") }

    let length = axis == 0 ? rows : cols
    let vectors = axis == 0 ? cols : rows
    let step = axis == 0 ? cols : 1
    let stride = axis == 0 ? 1 : cols
    let xAddress = UnsafeMutablePointer(mutating: x)
    parallelFor(vectors, grain: max(1, 4096 / length), threads: threads) { range in
      var workspace = Workspace(capacity: length)
      let y = UnsafeMutableBufferPointer<Double>.allocate(capacity: length)
      defer { workspace.deallocate(); y.deallocate() }
      for vector in range {
        let base = vector * stride
        for i in 0..<length { y[i] = Double(xAddress[base + i * step]) }
        projectInPlace(y, radius: radius, workspace: &workspace)
        for i in 0..<length { out[base + i * step] = T(y[i]) }
      }
    }
  }
}
