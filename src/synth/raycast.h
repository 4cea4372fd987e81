// Rays against the scene: the analytic ground plane y = 0, boxes, axis-aligned cylinders and ellipsoids.
#pragma once

#include <algorithm>
#include <cstdint>

#include "synth/scene.h"

namespace tandem::synth {

// `d` need not be unit length: hits are reported as the parameter t of o + t * d. Primary rays use the
// camera-space direction (a, b, 1), so their t is the depth along the optical axis.
struct Ray {
  Vec3 o, d;
  Vec3 inv;  // 1 / d, with zero components replaced by a tiny value so slab tests never see 0 * inf
};
inline Ray make_ray(Vec3 o, Vec3 d) {
  auto inv = [](float v) {
    const float kTiny = 1e-20f;
    if (v < kTiny && v > -kTiny) v = v < 0 ? -kTiny : kTiny;
    return 1.0f / v;
  };
  return {o, d, {inv(d.x), inv(d.y), inv(d.z)}};
}

inline constexpr int32_t kHitNone = -2;
inline constexpr int32_t kHitGround = -1;

struct Hit {
  float t = 0;
  Vec3 n;  // unit outward normal
  int32_t prim = kHitNone;
};

// Whether the ray meets the box [lo, hi] for some t in [t_min, t_max].
inline bool hits_box(Vec3 lo, Vec3 hi, const Ray& r, float t_min, float t_max) {
  float ax = (lo.x - r.o.x) * r.inv.x, bx = (hi.x - r.o.x) * r.inv.x;
  float ay = (lo.y - r.o.y) * r.inv.y, by = (hi.y - r.o.y) * r.inv.y;
  float az = (lo.z - r.o.z) * r.inv.z, bz = (hi.z - r.o.z) * r.inv.z;
  float tn = std::max(std::max(std::min(ax, bx), std::min(ay, by)), std::max(std::min(az, bz), t_min));
  float tf = std::min(std::min(std::max(ax, bx), std::max(ay, by)), std::min(std::max(az, bz), t_max));
  return tn <= tf;
}

// Nearest hit of one primitive with t in (t_min, t_max); fence holes let the ray through.
bool intersect_primitive(const Primitive& prim, const Ray& ray, float t_min, float t_max, float& t, Vec3& n);

// Nearest hit of the ground plane and the objects `ids`, which must be sorted by `z_min` (per object id: a lower
// bound of the depth of any of its points), so the walk stops at the first object behind the current hit.
Hit trace_nearest(const Scene& scene, const Ray& ray, const uint32_t* ids, int count, const float* z_min);

// Whether any of the objects `ids` blocks the ray for t > 0 (shadow rays; the ground plane casts no shadow).
bool trace_any(const Scene& scene, const Ray& ray, const uint32_t* ids, int count);

}  // namespace tandem::synth
