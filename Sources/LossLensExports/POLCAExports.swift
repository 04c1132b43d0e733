import LossLensCore
import POLCA

@_cdecl("ll_polca_allocate")
public func ll_polca_allocate(
  _ grads: UnsafePointer<Double>?, _ steps: UnsafePointer<Double>?, _ curvatures: UnsafePointer<Double>?,
  _ checkpoints: Int64, _ samples: Int64, _ directions: Int64, _ order: Int32, _ shareTolerance: Double,
  _ perSampleCurvature: Int32,
  _ allocation: UnsafeMutablePointer<Double>?, _ firstOrder: UnsafeMutablePointer<Double>?,
  _ projectedLoss: UnsafeMutablePointer<Double>?, _ guarded: UnsafeMutablePointer<UInt8>?, _ nThreads: Int32,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let (n, m) = try matrixShape(samples, directions, "projected_grads")
    let (t, _) = try matrixShape(checkpoints + 1, Int64(n * m), "projected_grads")
    try POLCAAllocation.allocate(
      grads: try required(grads, "projected_grads"), steps: try required(steps, "step_projections"),
      curvatures: try required(curvatures, "curvatures"), checkpoints: t - 1, samples: n, directions: m,
      order: Int(order), shareTolerance: shareTolerance, perSampleCurvature: perSampleCurvature != 0, allocation: try required(allocation, "allocation"),
      firstOrder: try required(firstOrder, "first_order"), projectedLoss: try required(projectedLoss, "projected_loss"),
      guarded: try required(guarded, "guarded"), threads: Threading.resolve(nJobs: Int(nThreads)))
  }
}
