// Shared pieces of the scene generators: footprints, part lists, side geometry, colours, trees.
#include "synth/scene_builder.h"

#include <algorithm>
#include <cmath>

namespace tandem::synth {

bool SceneContext::is_free(const Footprint& f, float margin) const {
  for (const Footprint& t : taken)
    if (f.x0 < t.x1 + margin && t.x0 < f.x1 + margin && f.z0 < t.z1 + margin && t.z0 < f.z1 + margin) return false;
  return true;
}

Primitive& Parts::add(Shape shape, Vec3 lo, Vec3 hi, uint8_t label, Material material, Vec3 color) {
  parts_.push_back(make_primitive(shape, lo, hi, label, material, color));
  return parts_.back();
}

void Parts::emit(Scene& scene) {
  add_object(scene, parts_);
  parts_.clear();
}

Footprint side_strip(int side, float d0, float d1, float z0, float z1) {
  return side ? Footprint{d0, d1, z0, z1} : Footprint{-d1, -d0, z0, z1};
}

bool overlaps_side_street(const Street& street, int side, float z0, float z1, float margin) {
  for (const ZRange& r : street.side_streets[side])
    if (z0 < r.z1 + margin && r.z0 - margin < z1) return true;
  if (street.end_z > 0 && z1 > street.end_z - street.end_width - margin) return true;
  return false;
}

std::vector<ZRange> side_segments(const Street& street, int side, float z0, float z1) {
  std::vector<ZRange> gaps = street.side_streets[side];
  if (street.end_z > 0) gaps.push_back({street.end_z - street.end_width, 1e9f});
  std::sort(gaps.begin(), gaps.end(), [](const ZRange& a, const ZRange& b) { return a.z0 < b.z0; });
  std::vector<ZRange> out;
  float z = z0;
  for (const ZRange& g : gaps) {
    if (g.z0 > z) out.push_back({z, std::min(g.z0, z1)});
    z = std::max(z, g.z1);
    if (z >= z1) break;
  }
  if (z < z1) out.push_back({z, z1});
  return out;
}

float lanes_half_width(const Street& street) { return street.half_width - street.parking; }

Vec3 jitter_color(Rng& rng, Vec3 c, float amount) {
  float k = 1.0f + rng.uniform(-amount, amount);
  return {c.x * k * (1.0f + rng.uniform(-amount, amount) * 0.5f), c.y * k,
          c.z * k * (1.0f + rng.uniform(-amount, amount) * 0.5f)};
}

Vec3 pick_color(Rng& rng, const Vec3* palette, int n) { return palette[rng.range(0, n - 1)]; }

void add_tree(Scene& scene, Rng& rng, float x, float z, float base_y, float scale) {
  Parts parts;
  float trunk_r = rng.uniform(0.10f, 0.22f) * scale;
  float trunk_h = rng.uniform(1.8f, 3.6f) * scale;
  Vec3 bark = jitter_color(rng, {0.10f, 0.07f, 0.045f}, 0.25f);
  parts.add(Shape::kCylinderY, {x - trunk_r, base_y, z - trunk_r}, {x + trunk_r, base_y + trunk_h + 0.6f, z + trunk_r},
            kVegetation, Material::kBark, bark);
  static const Vec3 kLeaves[] = {{0.06f, 0.13f, 0.03f},
                                 {0.09f, 0.16f, 0.04f},
                                 {0.05f, 0.10f, 0.04f},
                                 {0.12f, 0.17f, 0.05f},
                                 {0.07f, 0.12f, 0.06f}};
  Vec3 green = jitter_color(rng, pick_color(rng, kLeaves, 5), 0.2f);
  if (rng.chance(0.15f)) {  // conifer: a tall narrow crown
    float r = rng.uniform(1.0f, 1.8f) * scale, h = rng.uniform(4.0f, 8.0f) * scale;
    float y0 = base_y + trunk_h * 0.5f;
    parts.add(Shape::kEllipsoid, {x - r, y0, z - r}, {x + r, y0 + h, z + r}, kVegetation, Material::kLeaves,
              green * 0.8f);
  } else {
    float r = rng.uniform(1.3f, 2.7f) * scale;
    float cy = base_y + trunk_h + r * 0.75f;
    parts.add(Shape::kEllipsoid, {x - r, cy - r * 0.85f, z - r}, {x + r, cy + r * 0.95f, z + r}, kVegetation,
              Material::kLeaves, green);
    int lobes = rng.range(3, 6);
    for (int i = 0; i < lobes; ++i) {  // lobes bulging out of the main crown make the silhouette irregular
      float lr = r * rng.uniform(0.4f, 0.65f);
      float ox = rng.uniform(-1, 1), oy = rng.uniform(-0.6f, 0.9f), oz = rng.uniform(-1, 1);
      float k = r * rng.uniform(0.55f, 0.8f) / std::sqrt(ox * ox + oy * oy + oz * oz + 1e-3f);
      ox *= k, oy *= k, oz *= k;
      parts.add(Shape::kEllipsoid, {x + ox - lr, cy + oy - lr * 0.9f, z + oz - lr},
                {x + ox + lr, cy + oy + lr * 0.9f, z + oz + lr}, kVegetation, Material::kLeaves,
                jitter_color(rng, green, 0.15f));
    }
  }
  parts.emit(scene);
}

}  // namespace tandem::synth
