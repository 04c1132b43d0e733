import LossLensCore

/// Projection Oriented Loss Change Allocation (POLCA): the loss change of every sample between
/// consecutive checkpoints, split over the directions of an orthonormal basis.
///
/// S. Kangaslahti, E. Rosenfeld, N. Saphra, "Hidden Breakthroughs in Language Model Training"
/// (arXiv:2506.15872); equation numbers are those of the full paper. Notation per checkpoint
/// `t = 0..T−1`, sample `x` and basis vector `b`:
/// - `p_t(x, b) = ⟨b, ∇ℓ(x; θ_t)⟩` (projected per-sample gradient; also needed at `t = T`),
/// - `s_t(b) = ⟨b, θ_{t+1} − θ_t⟩` (step projection),
/// - `λ_t(X, b) = bᵀ H_t(X) b`, the curvature of the *summed* loss `L(X) = Σ_x ℓ(x)` over the
///   same samples (eq. 3 sums, it does not average) — or, when `perSampleCurvature` is set,
///   `λ_t(x, b) = bᵀ H_t(x) b` for every sample, which eq. (5) uses directly (the paper estimates
///   it through eq. 6 because it considers it intractable; with forward-mode AD it costs one
///   forward-over-forward pass per direction for all samples).
public enum POLCAAllocation {
  /// Computes the allocation, its first-order part, the projected loss and the guard mask.
  ///
  /// - Parameters:
  ///   - grads: `(T+1) × n × m` projected gradients `p_t(x, b)`.
  ///   - steps: `T × m` step projections `s_t(b)`.
  ///   - curvatures: `T × m` aggregate curvatures `λ_t(X, b)`, or `T × n × m` per-sample
  ///     curvatures `λ_t(x, b)` when `perSampleCurvature`.
  ///   - perSampleCurvature: use eq. (5) with per-sample curvatures instead of eqs. (6)–(7).
  ///   - order: 1 (eq. 4 only) or 2 (eqs. 4–9).
  ///   - shareTolerance: the per-sample share of eq. (6) falls back to `1/n` when
  ///     `|Σ_x Δp_t(x, b)| ≤ shareTolerance · Σ_x |Δp_t(x, b)|` (see `secondOrderShare`).
  ///   - allocation: `T × n × m` output, POLCA(x, b; θ_t).
  ///   - firstOrder: `T × n × m` output, the first-order term of eq. (4).
  ///   - projectedLoss: `(T+1) × n × m` output, L_b(x, θ_t) of eq. (10) (zero at t = 0).
  ///   - guarded: `T × m` output, 1 where the share fell back to `1/n`.
  /// - Complexity: O(T · n · m), spread over `threads` threads.
  public static func allocate(
    grads: UnsafePointer<Double>, steps: UnsafePointer<Double>, curvatures: UnsafePointer<Double>,
    checkpoints T: Int, samples n: Int, directions m: Int, order: Int, shareTolerance: Double,
    perSampleCurvature: Bool = false, allocation: UnsafeMutablePointer<Double>, firstOrder: UnsafeMutablePointer<Double>,
    projectedLoss: UnsafeMutablePointer<Double>, guarded: UnsafeMutablePointer<UInt8>, threads: Int
  ) throws(LossLensError) {
    guard T >= 1, n >= 1, m >= 1 else {
      throw .invalid("need at least 2 checkpoints, 1 sample and 1 direction (got T = \(T), n = \(n), m = \(m))")
    }
    guard order == 1 || order == 2 else { throw .invalid("order must be 1 or 2 (got \(order))") }
    guard shareTolerance >= 0, shareTolerance.isFinite else {
      throw .invalid("share_tol must be a finite number >= 0 (got \(shareTolerance))")
    }
    guard Matrix.allFinite(grads, count: (T + 1) * n * m) else { throw .invalid("projected_grads contains NaN or infinity") }
    guard Matrix.allFinite(steps, count: T * m) else { throw .invalid("step_projections contains NaN or infinity") }
    guard Matrix.allFinite(curvatures, count: perSampleCurvature ? T * n * m : T * m) else { throw .invalid("curvatures contains NaN or infinity") }

    let slab = n * m
    parallelFor(T, threads: threads) { range in
      var aggregate = [Double](repeating: 0, count: m)
      var magnitude = [Double](repeating: 0, count: m)
      for t in range {
        let now = grads + t * slab, next = grads + (t + 1) * slab
        let s = steps + t * m, lambda = curvatures + (perSampleCurvature ? t * slab : t * m)
        for b in 0..<m { aggregate[b] = 0; magnitude[b] = 0 }
        for x in 0..<n {
          for b in 0..<m {
            let change = next[x * m + b] - now[x * m + b]
            aggregate[b] += change
            magnitude[b] += abs(change)
          }
        }
        for b in 0..<m {
          let undefined = abs(aggregate[b]) <= shareTolerance * magnitude[b]
          guarded[t * m + b] = order == 2 && !perSampleCurvature && undefined ? 1 : 0
        }
        for x in 0..<n {
          for b in 0..<m {
            let i = x * m + b
            // POLCA eq. (4): first-order allocation ⟨b, ∇ℓ(x; θ_t)⟩ ⟨b, θ_{t+1} − θ_t⟩.
            let first = now[i] * s[b]
            var total = first
            if order == 2 && perSampleCurvature {
              // POLCA eq. (5): h = λ_t(x, b)/2 · ⟨θ_{t+1} − θ_t, b⟩², the exact second-order term.
              total += 0.5 * lambda[i] * s[b] * s[b]
            } else if order == 2 {
              let share = guarded[t * m + b] == 1
                ? 1 / Double(n) : secondOrderShare(change: next[i] - now[i], aggregate: aggregate[b])
              // POLCA eq. (7): h̃ = λ_t(X, b)/2 · ⟨θ_{t+1} − θ_t, b⟩² · share_t(x, b).
              total += 0.5 * lambda[b] * s[b] * s[b] * share
            }
            // POLCA eq. (9): POLCA(x, b; θ_t) = first-order term + h̃.
            firstOrder[t * slab + i] = first
            allocation[t * slab + i] = total
          }
        }
      }
    }
    // POLCA eq. (10): L_b(x, θ_t) = Σ_{i<t} POLCA(x, b; θ_i).
    for i in 0..<slab { projectedLoss[i] = 0 }
    for t in 0..<T {
      let previous = projectedLoss + t * slab, current = projectedLoss + (t + 1) * slab
      let step = allocation + t * slab
      for i in 0..<slab { current[i] = previous[i] + step[i] }
    }
  }

  /// POLCA eq. (6): the per-sample share of the aggregate second-order term,
  /// `⟨g_{t+1}(x) − g_t(x), b⟩ / ⟨g_{t+1}(X) − g_t(X), b⟩` with `g(X) = Σ_x g(x)`.
  ///
  /// Under the paper's assumption (Appendix A) it equals `λ_t(x, b) / λ_t(X, b)`, so
  /// `λ_t(X, b) · share` estimates the sample's own curvature along `b` from one aggregate
  /// Hessian-vector product. The shares of all samples sum to 1, so the second-order terms add up
  /// to the aggregate second-order term `λ_t(X, b) s_t(b)² / 2`. The caller guards the case where the
  /// aggregate change cancels (`|Σ Δ| ≤ tol · Σ |Δ|`, which includes `0/0`): there the ratio is
  /// undefined or dominated by noise, and the uniform share `1/n` keeps the sum property.
  @inlinable public static func secondOrderShare(change: Double, aggregate: Double) -> Double {
    change / aggregate
  }
}
