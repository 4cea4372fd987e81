// Building the per-tile and per-sun-cell object lists (compressed rows: count, prefix sum, fill).
#include "synth/culling.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tandem::synth {
namespace {

struct Range2 {
  int x0 = 0, x1 = -1, y0 = 0, y1 = -1;  // inclusive; empty when x1 < x0
};

Vec3 corner(const Object& o, int i) {
  return {i & 1 ? o.hi.x : o.lo.x, i & 2 ? o.hi.y : o.lo.y, i & 4 ? o.hi.z : o.lo.z};
}

// Pixel bounds of a box clipped to the near plane: the corners in front plus the points where its 12 edges cross
// the near plane, projected. Returns false if the box is entirely behind the camera.
bool project_box(const Camera& cam, const Object& o, float& u0, float& u1, float& v0, float& v1, float& z_min) {
  const float kNear = 0.05f;
  Vec3 c[8];
  float zmin = 1e30f, zmax = -1e30f;
  for (int i = 0; i < 8; ++i) {
    Vec3 d = corner(o, i) - cam.position;
    c[i] = {dot(d, cam.right), dot(d, cam.up), dot(d, cam.forward)};
    zmin = std::min(zmin, c[i].z);
    zmax = std::max(zmax, c[i].z);
  }
  if (zmax < kNear) return false;
  z_min = std::max(0.0f, zmin);
  u0 = v0 = 1e30f;
  u1 = v1 = -1e30f;
  auto add = [&](Vec3 p) {
    float u = cam.cx + cam.fx * p.x / p.z, v = cam.cy - cam.fy * p.y / p.z;
    u0 = std::min(u0, u);
    u1 = std::max(u1, u);
    v0 = std::min(v0, v);
    v1 = std::max(v1, v);
  };
  for (int i = 0; i < 8; ++i) {
    if (c[i].z >= kNear) add(c[i]);
    for (int bit = 1; bit < 8; bit <<= 1) {
      if (i & bit) continue;
      Vec3 a = c[i], b = c[i | bit];
      if ((a.z < kNear) == (b.z < kNear)) continue;
      float s = (kNear - a.z) / (b.z - a.z);
      add({a.x + (b.x - a.x) * s, a.y + (b.y - a.y) * s, kNear});
    }
  }
  return true;
}

// CSR lists from per-object cell ranges, objects taken in `order`.
void fill_lists(const std::vector<Range2>& ranges, const std::vector<uint32_t>& order, int nx, int ny,
                std::vector<uint32_t>& start, std::vector<uint32_t>& ids) {
  start.assign(static_cast<size_t>(nx) * ny + 1, 0);
  for (uint32_t id : order) {
    const Range2& r = ranges[id];
    for (int y = r.y0; y <= r.y1; ++y)
      for (int x = r.x0; x <= r.x1; ++x) ++start[static_cast<size_t>(y) * nx + x + 1];
  }
  std::partial_sum(start.begin(), start.end(), start.begin());
  ids.resize(start.back());
  std::vector<uint32_t> fill(start.begin(), start.end() - 1);
  for (uint32_t id : order) {
    const Range2& r = ranges[id];
    for (int y = r.y0; y <= r.y1; ++y)
      for (int x = r.x0; x <= r.x1; ++x) ids[fill[static_cast<size_t>(y) * nx + x]++] = id;
  }
}

int clamp_cell(float v, int n) { return static_cast<int>(std::min(std::max(v, 0.0f), static_cast<float>(n - 1))); }

}  // namespace

ScreenBins bin_for_camera(const Scene& scene, int tile) {
  const Camera& cam = scene.camera;
  ScreenBins bins;
  bins.tile = tile;
  bins.tiles_x = (cam.width + tile - 1) / tile;
  bins.tiles_y = (cam.height + tile - 1) / tile;
  size_t n = scene.objects.size();
  bins.z_min.assign(n, 1e30f);
  std::vector<Range2> ranges(n);
  std::vector<uint32_t> order;
  for (size_t i = 0; i < n; ++i) {
    float u0, u1, v0, v1;
    if (!project_box(cam, scene.objects[i], u0, u1, v0, v1, bins.z_min[i])) continue;
    // one pixel of slack for rounding; skip boxes wholly off screen
    u0 -= 1.0f, v0 -= 1.0f, u1 += 1.0f, v1 += 1.0f;
    if (u1 < 0 || v1 < 0 || u0 > static_cast<float>(cam.width) || v0 > static_cast<float>(cam.height)) continue;
    ranges[i] = {clamp_cell(u0 / tile, bins.tiles_x), clamp_cell(u1 / tile, bins.tiles_x),
                 clamp_cell(v0 / tile, bins.tiles_y), clamp_cell(v1 / tile, bins.tiles_y)};
    order.push_back(static_cast<uint32_t>(i));
  }
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return bins.z_min[a] != bins.z_min[b] ? bins.z_min[a] < bins.z_min[b] : a < b;
  });
  fill_lists(ranges, order, bins.tiles_x, bins.tiles_y, bins.start, bins.ids);
  return bins;
}

SunGrid bin_for_sun(const Scene& scene) {
  SunGrid g;
  Vec3 l = scene.light.sun_dir;
  Vec3 helper = l.y < 0.9f && l.y > -0.9f ? Vec3{0, 1, 0} : Vec3{1, 0, 0};
  g.u = normalize(cross(helper, l));
  g.v = cross(l, g.u);
  size_t n = scene.objects.size();
  std::vector<float> bu0(n), bu1(n), bv0(n), bv1(n);
  float lo_u = 1e30f, hi_u = -1e30f, lo_v = 1e30f, hi_v = -1e30f;
  for (size_t i = 0; i < n; ++i) {
    bu0[i] = bv0[i] = 1e30f;
    bu1[i] = bv1[i] = -1e30f;
    for (int k = 0; k < 8; ++k) {
      Vec3 c = corner(scene.objects[i], k);
      float pu = dot(c, g.u), pv = dot(c, g.v);
      bu0[i] = std::min(bu0[i], pu), bu1[i] = std::max(bu1[i], pu);
      bv0[i] = std::min(bv0[i], pv), bv1[i] = std::max(bv1[i], pv);
    }
    lo_u = std::min(lo_u, bu0[i]), hi_u = std::max(hi_u, bu1[i]);
    lo_v = std::min(lo_v, bv0[i]), hi_v = std::max(hi_v, bv1[i]);
  }
  if (n == 0) {
    g.start.assign(1, 0);
    return g;
  }
  // about 1 m cells, at most 192 per side: fine enough that a shadow ray meets few boxes, small enough to build fast
  float cell = std::max(1.0f, std::max(hi_u - lo_u, hi_v - lo_v) / 192.0f);
  g.inv_cell = 1.0f / cell;
  g.u0 = lo_u - 0.5f * cell;
  g.v0 = lo_v - 0.5f * cell;
  g.nu = static_cast<int>(std::ceil((hi_u - g.u0) * g.inv_cell)) + 1;
  g.nv = static_cast<int>(std::ceil((hi_v - g.v0) * g.inv_cell)) + 1;
  std::vector<Range2> ranges(n);
  std::vector<uint32_t> order(n);
  for (size_t i = 0; i < n; ++i) {
    order[i] = static_cast<uint32_t>(i);
    ranges[i] = {clamp_cell((bu0[i] - g.u0) * g.inv_cell, g.nu), clamp_cell((bu1[i] - g.u0) * g.inv_cell, g.nu),
                 clamp_cell((bv0[i] - g.v0) * g.inv_cell, g.nv), clamp_cell((bv1[i] - g.v0) * g.inv_cell, g.nv)};
  }
  fill_lists(ranges, order, g.nu, g.nv, g.start, g.ids);
  return g;
}

}  // namespace tandem::synth
