// Street furniture at the kerb: street lamps (pole), traffic signs on poles, traffic lights at junctions and
// crossings. Poles start at y = 0 inside the sidewalk slab, so they stand on it whatever its height.
#include <algorithm>

#include "synth/scene_builder.h"

namespace tandem::synth {
namespace {

// Distance from the centre line of the kerb-side furniture spot on `side`.
float kerb_spot(const Street& st, int side) {
  const SideProfile& p = st.side[side];
  bool verge_first = p.verge1 > p.verge0 && p.verge0 == st.half_width;
  return verge_first ? st.half_width + 0.6f : p.walk0 + 0.45f;
}

bool claim(SceneContext& ctx, float x, float z, float r) {
  Footprint f{x - r, x + r, z - r, z + r};
  if (!ctx.is_free(f, 0.2f)) return false;
  ctx.take(f);
  return true;
}

void add_street_lamp(Scene& scene, Rng& rng, int side, float d, float z, Vec3 color, float height) {
  Parts parts;
  float s = side_sign(side), x = s * d, r = rng.uniform(0.07f, 0.11f);
  parts.add(Shape::kCylinderY, {x - r, 0, z - r}, {x + r, height, z + r}, kPole, Material::kMetal, color);
  float arm = rng.uniform(1.0f, 2.2f), x_end = x - s * arm;
  parts.add(Shape::kBox, {x, height - 0.12f, z - 0.05f}, {x_end, height, z + 0.05f}, kPole, Material::kMetal, color);
  parts.add(Shape::kBox, {x_end - 0.35f * s, height - 0.28f, z - 0.17f}, {x_end + 0.2f * s, height - 0.05f, z + 0.17f},
            kPole, Material::kMetal, color * 0.8f);
  parts.emit(scene);
}

void add_sign(Scene& scene, Rng& rng, int side, float d, float z, bool faces_plus_z) {
  Parts parts;
  float x = side_sign(side) * d, r = 0.035f;
  int type = rng.range(0, 4);
  float w = rng.uniform(0.55f, 0.8f), h = w;
  if (type == 4) {  // direction sign: wide
    w *= 1.8f;
    h *= 0.6f;
  }
  float y0 = rng.uniform(1.9f, 2.5f);
  bool two = type != 4 && rng.chance(0.25f);
  float top = y0 + h + (two ? h + 0.1f : 0.0f);
  Vec3 metal{0.35f, 0.35f, 0.36f};
  parts.add(Shape::kCylinderY, {x - r, 0, z - r}, {x + r, top - 0.05f, z + r}, kPole, Material::kMetal, metal);
  float dz = faces_plus_z ? 1.0f : -1.0f;
  float zz0 = z + dz * (r + 0.01f), zz1 = z + dz * (r + 0.04f);
  for (int i = 0; i < (two ? 2 : 1); ++i) {
    int t = i == 0 ? type : rng.range(0, 3);
    float yb = y0 + static_cast<float>(i) * (h + 0.1f);
    Shape shape = t <= 1 ? Shape::kCylinderZ : Shape::kBox;
    Primitive& p =
        parts.add(shape, {x - w / 2, yb, zz0}, {x + w / 2, yb + h, zz1}, kTrafficSign, Material::kSign, metal);
    p.variant = static_cast<uint8_t>(t | (faces_plus_z ? kFacesPlusZ : 0));
  }
  parts.emit(scene);
}

void add_traffic_light(Scene& scene, Rng& rng, int side, float d, float z, int state, bool overhead) {
  Parts parts;
  float s = side_sign(side), x = s * d, r = rng.uniform(0.06f, 0.09f);
  Vec3 pole_color = rng.chance(0.5f) ? Vec3{0.3f, 0.3f, 0.31f} : Vec3{0.05f, 0.07f, 0.06f};
  Vec3 housing = rng.chance(0.7f) ? Vec3{0.025f, 0.025f, 0.025f} : Vec3{0.35f, 0.28f, 0.05f};
  float hw = 0.16f, hh = rng.uniform(0.85f, 1.0f), hd = 0.26f;
  auto add_housing = [&](float cx, float y0) {
    Primitive& p = parts.add(Shape::kBox, {cx - hw, y0, z - r - hd}, {cx + hw, y0 + hh, z - r}, kTrafficLight,
                             Material::kTrafficLight, housing);
    p.variant = static_cast<uint8_t>(state);  // lamps face -z, towards the camera
  };
  if (overhead) {
    float h = rng.uniform(5.5f, 6.5f), reach = rng.uniform(3.5f, 6.0f), x_end = x - s * reach;
    parts.add(Shape::kCylinderY, {x - r, 0, z - r}, {x + r, h, z + r}, kPole, Material::kMetal, pole_color);
    parts.add(Shape::kBox, {x, h - 0.14f, z - 0.06f}, {x_end, h, z + 0.06f}, kPole, Material::kMetal, pole_color);
    add_housing(x_end, h - 0.14f - hh);
    add_housing(x, rng.uniform(2.3f, 2.7f));
  } else {
    float y0 = rng.uniform(2.2f, 2.8f);
    parts.add(Shape::kCylinderY, {x - r, 0, z - r}, {x + r, y0 + hh, z + r}, kPole, Material::kMetal, pole_color);
    add_housing(x, y0);
  }
  parts.emit(scene);
}

}  // namespace

void build_furniture(SceneContext& ctx, Rng rng) {
  Scene& scene = ctx.scene;
  const Street& st = scene.street;
  // Traffic lights before every junction and crossing, one state per junction.
  std::vector<float> stops;
  for (int side = 0; side < 2; ++side)
    for (const ZRange& g : st.side_streets[side]) stops.push_back(g.z0 - 1.5f);
  for (const ZRange& c : st.crosswalks) stops.push_back(c.z0 - 1.0f);
  if (st.end_z > 0) stops.push_back(st.end_z - st.end_width - 1.5f);
  for (float z : stops) {
    if (!rng.chance(0.75f)) continue;
    int state = rng.range(0, 2);
    for (int side = 0; side < 2; ++side) {
      if (side == 0 && !rng.chance(0.6f)) continue;
      float d = kerb_spot(st, side);
      if (overlaps_side_street(st, side, z - 0.5f, z + 0.5f, 0.3f) || !claim(ctx, side_sign(side) * d, z, 0.4f))
        continue;
      add_traffic_light(scene, rng, side, d, z, state, side == 1 && st.lanes >= 2 && rng.chance(0.45f));
    }
  }
  for (int side = 0; side < 2; ++side) {
    Rng r = rng.fork(static_cast<uint64_t>(side) + 1);
    float d = kerb_spot(st, side);
    if (r.chance(0.75f)) {  // street lamps at a regular pitch
      float pitch = r.uniform(20.0f, 38.0f), height = r.uniform(6.0f, 9.0f);
      Vec3 color = r.chance(0.6f) ? Vec3{0.32f, 0.32f, 0.33f} : Vec3{0.05f, 0.09f, 0.07f};
      for (float z = r.uniform(-10.0f, 15.0f); z < ctx.z_end - 20.0f; z += pitch) {
        if (overlaps_side_street(st, side, z, z, 1.0f) || !claim(ctx, side_sign(side) * d, z, 0.35f)) continue;
        add_street_lamp(scene, r, side, d, z, color, height);
      }
    }
    int signs = r.range(0, 4);
    for (int i = 0; i < signs; ++i) {
      float z = r.uniform(3.0f, 110.0f);
      if (overlaps_side_street(st, side, z, z, 1.0f) || !claim(ctx, side_sign(side) * d, z, 0.3f)) continue;
      bool faces_plus_z = side == 0 && st.two_way && r.chance(0.6f);  // signs for oncoming traffic show their back
      add_sign(scene, r, side, d, z, faces_plus_z);
    }
  }
}

}  // namespace tandem::synth
