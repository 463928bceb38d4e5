// A loop's trip count: the pipeline constant `fixed` where the launch set one, else `runtime`
// (read from the uniforms). The real subgroup paths set it (src/kernels/sg_lanes.ts,
// sgTripCounts); the emulated share leaves it 0. No loop here has a trip count of 0.
fn tripCount(fixed: u32, runtime: u32) -> u32 {
  return select(runtime, fixed, fixed != 0u);
}
