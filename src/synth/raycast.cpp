// Ray/primitive intersection. Quadrics are solved around the ray's closest approach to their centre, which stays
// accurate for small objects 200 m away where the textbook b^2 - 4ac cancels to noise in float.
#include "synth/raycast.h"

#include <limits>

namespace tandem::synth {
namespace {

template <int I>
float at(Vec3 v) {
  if constexpr (I == 0) return v.x;
  if constexpr (I == 1) return v.y;
  return v.z;
}
template <int I>
Vec3 axis(float s) {
  if constexpr (I == 0) return {s, 0, 0};
  if constexpr (I == 1) return {0, s, 0};
  return {0, 0, s};
}

[[gnu::always_inline]] inline bool intersect_box(const Primitive& p, const Ray& r, float t_min, float t_max, float& t,
                                                 Vec3& n) {
  float ax = (p.lo.x - r.o.x) * r.inv.x, bx = (p.hi.x - r.o.x) * r.inv.x;
  float ay = (p.lo.y - r.o.y) * r.inv.y, by = (p.hi.y - r.o.y) * r.inv.y;
  float az = (p.lo.z - r.o.z) * r.inv.z, bz = (p.hi.z - r.o.z) * r.inv.z;
  float nx = std::min(ax, bx), ny = std::min(ay, by), nz = std::min(az, bz);
  float tn = std::max(std::max(nx, ny), nz);
  float tf = std::min(std::min(std::max(ax, bx), std::max(ay, by)), std::max(az, bz));
  if (tn > tf || tn <= t_min || tn >= t_max) return false;  // an origin inside the box is no hit
  t = tn;
  if (tn == nx)
    n = {r.d.x > 0 ? -1.0f : 1.0f, 0, 0};
  else if (tn == ny)
    n = {0, r.d.y > 0 ? -1.0f : 1.0f, 0};
  else
    n = {0, 0, r.d.z > 0 ? -1.0f : 1.0f};
  return true;
}

// A fence is a thin box with vertical slats and two rails; a ray through a gap passes the whole fence.
bool fence_solid(const Primitive& p, Vec3 q) {
  bool along_z = p.hi.z - p.lo.z > p.hi.x - p.lo.x;
  float s = along_z ? q.z : q.x;
  float h = q.y - p.lo.y, top = p.hi.y - p.lo.y;
  if (h > top - 0.07f || (h > 0.18f && h < 0.25f) || h < 0.04f) return true;
  return fract(s / p.param[0]) < p.param[1];
}

// A spoked wheel is a thin cylinder that is solid only in its tyre ring: a ray entering through a side face
// inside the rim passes the whole wheel (spokes are too thin to matter at our resolution).
bool wheel_solid(const Primitive& p, Vec3 q, Vec3 n, bool axis_x) {
  float along = axis_x ? n.x : n.z;
  if (along < 0.5f && along > -0.5f) return true;  // the tread
  Vec3 c = (p.lo + p.hi) * 0.5f, r = (p.hi - p.lo) * 0.5f;
  float a = (q.y - c.y) / r.y, b = axis_x ? (q.z - c.z) / r.z : (q.x - c.x) / r.x;
  return a * a + b * b > 0.72f;  // rim radius 85% of the tyre's
}

// Cylinder along axis A, elliptic cross-section inscribed in the box's extent along B and C.
template <int A, int B, int C>
bool intersect_cylinder(const Primitive& p, const Ray& r, float t_min, float t_max, float& t, Vec3& n) {
  float rb = 0.5f * (at<B>(p.hi) - at<B>(p.lo)), rc = 0.5f * (at<C>(p.hi) - at<C>(p.lo));
  float ob = (at<B>(r.o) - 0.5f * (at<B>(p.hi) + at<B>(p.lo))) / rb;
  float oc = (at<C>(r.o) - 0.5f * (at<C>(p.hi) + at<C>(p.lo))) / rc;
  float db = at<B>(r.d) / rb, dc = at<C>(r.d) / rc;
  float best = t_max;
  bool found = false;
  float a = db * db + dc * dc;
  if (a > 1e-12f) {
    float tc = -(ob * db + oc * dc) / a;
    float qb = ob + tc * db, qc = oc + tc * dc;
    float h = 1.0f - (qb * qb + qc * qc);
    if (h >= 0) {
      float t0 = tc - std::sqrt(h / a);
      float ya = at<A>(r.o) + t0 * at<A>(r.d);
      if (t0 > t_min && t0 < best && ya >= at<A>(p.lo) && ya <= at<A>(p.hi)) {
        best = t0;
        found = true;
        float nb = (ob + t0 * db) / rb, nc = (oc + t0 * dc) / rc;
        Vec3 v = axis<B>(nb) + axis<C>(nc);
        n = normalize(v);
      }
    }
  }
  float inv_a = at<A>(r.inv);
  for (int cap = 0; cap < 2; ++cap) {
    float plane = cap ? at<A>(p.hi) : at<A>(p.lo);
    float tc = (plane - at<A>(r.o)) * inv_a;
    if (tc <= t_min || tc >= best) continue;
    float qb = ob + tc * db, qc = oc + tc * dc;
    if (qb * qb + qc * qc > 1.0f) continue;
    best = tc;
    found = true;
    n = axis<A>(cap ? 1.0f : -1.0f);
  }
  if (found) t = best;
  return found;
}

[[gnu::always_inline]] inline bool intersect_ellipsoid(const Primitive& p, const Ray& r, float t_min, float t_max,
                                                       float& t, Vec3& n) {
  Vec3 c = (p.lo + p.hi) * 0.5f;
  Vec3 inv_rad{2.0f / (p.hi.x - p.lo.x), 2.0f / (p.hi.y - p.lo.y), 2.0f / (p.hi.z - p.lo.z)};
  Vec3 o = (r.o - c) * inv_rad, d = r.d * inv_rad;
  float a = dot(d, d);
  float tc = -dot(o, d) / a;
  Vec3 q = o + d * tc;
  float h = 1.0f - dot(q, q);
  if (h < 0) return false;
  float t0 = tc - std::sqrt(h / a);
  if (t0 <= t_min || t0 >= t_max) return false;
  t = t0;
  n = normalize((o + d * t0) * inv_rad);
  return true;
}

// Inlined into both trace loops: most calls are one slab test, and a call would cost as much as the test.
[[gnu::always_inline]] inline bool intersect_any_shape(const Primitive& prim, const Ray& ray, float t_min, float t_max,
                                                       float& t, Vec3& n) {
  switch (prim.shape) {
    case Shape::kBox:
      if (!intersect_box(prim, ray, t_min, t_max, t, n)) return false;
      return prim.material != Material::kFence || fence_solid(prim, ray.o + ray.d * t);
    case Shape::kCylinderX:
      if (!intersect_cylinder<0, 1, 2>(prim, ray, t_min, t_max, t, n)) return false;
      return !(prim.variant & kSpokedWheel) || wheel_solid(prim, ray.o + ray.d * t, n, true);
    case Shape::kCylinderY:
      return intersect_cylinder<1, 0, 2>(prim, ray, t_min, t_max, t, n);
    case Shape::kCylinderZ:
      if (!intersect_cylinder<2, 0, 1>(prim, ray, t_min, t_max, t, n)) return false;
      return !(prim.variant & kSpokedWheel) || wheel_solid(prim, ray.o + ray.d * t, n, false);
    case Shape::kEllipsoid:
      return intersect_ellipsoid(prim, ray, t_min, t_max, t, n);
  }
  return false;
}

}  // namespace

bool intersect_primitive(const Primitive& prim, const Ray& ray, float t_min, float t_max, float& t, Vec3& n) {
  return intersect_any_shape(prim, ray, t_min, t_max, t, n);
}

Hit trace_nearest(const Scene& scene, const Ray& ray, const uint32_t* ids, int count, const float* z_min) {
  Hit hit;
  float best = std::numeric_limits<float>::max();
  if (ray.d.y < 0 && ray.o.y > 0) {
    best = -ray.o.y / ray.d.y;
    hit.t = best;
    hit.n = {0, 1, 0};
    hit.prim = kHitGround;
  }
  const float kNear = 1e-3f;
  for (int i = 0; i < count; ++i) {
    uint32_t id = ids[i];
    if (z_min[id] >= best) break;
    const Object& obj = scene.objects[id];
    // a one-part object's own test is as cheap as its bounding box test (slabs, buildings, hedges)
    if (obj.count > 1 && !hits_box(obj.lo, obj.hi, ray, kNear, best)) continue;
    for (uint32_t k = obj.first; k < obj.first + obj.count; ++k) {
      float t;
      Vec3 n;
      if (intersect_any_shape(scene.prims[k], ray, kNear, best, t, n)) {
        best = t;
        hit.t = t;
        hit.n = n;
        hit.prim = static_cast<int32_t>(k);
      }
    }
  }
  return hit;
}

bool trace_any(const Scene& scene, const Ray& ray, const uint32_t* ids, int count) {
  const float kFar = std::numeric_limits<float>::max();
  for (int i = 0; i < count; ++i) {
    const Object& obj = scene.objects[ids[i]];
    if (obj.count > 1 && !hits_box(obj.lo, obj.hi, ray, 0.0f, kFar)) continue;
    for (uint32_t k = obj.first; k < obj.first + obj.count; ++k) {
      float t;
      Vec3 n;
      if (intersect_any_shape(scene.prims[k], ray, 0.0f, kFar, t, n)) return true;
    }
  }
  return false;
}

}  // namespace tandem::synth
