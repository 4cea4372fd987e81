// People: pedestrians on the sidewalks and zebra crossings, cyclists and motorcyclists near the kerb, parked
// bicycles. Bodies are built in a local frame (a: lateral, b: forward) and mapped to the heading in world space.
#include <algorithm>

#include "synth/scene_builder.h"

namespace tandem::synth {
namespace {

const Vec3 kSkin[] = {
    {0.60f, 0.42f, 0.32f}, {0.45f, 0.30f, 0.20f}, {0.22f, 0.13f, 0.08f}, {0.70f, 0.52f, 0.42f}, {0.35f, 0.22f, 0.14f}};
const Vec3 kHair[] = {
    {0.03f, 0.02f, 0.015f}, {0.12f, 0.07f, 0.03f}, {0.30f, 0.22f, 0.10f}, {0.40f, 0.40f, 0.40f}, {0.20f, 0.10f, 0.05f}};
const Vec3 kCloth[] = {{0.04f, 0.05f, 0.12f}, {0.03f, 0.03f, 0.03f}, {0.25f, 0.25f, 0.26f}, {0.70f, 0.70f, 0.68f},
                       {0.45f, 0.05f, 0.05f}, {0.10f, 0.20f, 0.50f}, {0.45f, 0.38f, 0.26f}, {0.15f, 0.18f, 0.08f},
                       {0.20f, 0.12f, 0.06f}, {0.08f, 0.12f, 0.22f}, {0.60f, 0.50f, 0.10f}, {0.50f, 0.25f, 0.35f}};

// Places boxes given in the body's local frame: a across, b along the heading (dir = +1/-1), y up.
struct BodyFrame {
  float x, z, base;
  bool along_z;  // heading along z (else along x)
  float dir;
  Vec3 at(float a, float y, float b) const {
    return along_z ? Vec3{x + a, base + y, z + dir * b} : Vec3{x + dir * b, base + y, z + a};
  }
};

Primitive& add_local(Parts& parts, const BodyFrame& f, Shape shape, Vec3 lo, Vec3 hi, uint8_t label, Material m,
                     Vec3 color) {
  Shape s = shape;
  if (!f.along_z && shape == Shape::kCylinderX) s = Shape::kCylinderZ;  // wheels turn with the heading
  return parts.add(s, f.at(lo.x, lo.y, lo.z), f.at(hi.x, hi.y, hi.z), label, m, color);
}

void add_head(Parts& parts, Rng& rng, const BodyFrame& f, float cy, float cb, float h, uint8_t label, bool helmet) {
  float rx = 0.055f * h, ry = 0.065f * h, rz = 0.06f * h;
  if (helmet) rx = ry = rz = 0.075f * h;
  Primitive& head = add_local(parts, f, Shape::kEllipsoid, {-rx, cy - ry, cb - rz}, {rx, cy + ry, cb + rz}, label,
                              helmet ? Material::kCloth : Material::kSkin,
                              helmet ? jitter_color(rng, pick_color(rng, kCloth, 12), 0.1f)
                                     : jitter_color(rng, pick_color(rng, kSkin, 5), 0.08f));
  head.color2 = pick_color(rng, kHair, 5);
}

void add_pedestrian(Scene& scene, Rng& rng, const BodyFrame& f, float h, uint8_t label) {
  Parts parts;
  Vec3 top = jitter_color(rng, pick_color(rng, kCloth, 12), 0.1f);
  Vec3 legs = jitter_color(rng, pick_color(rng, kCloth, 12), 0.1f);
  Vec3 skin = jitter_color(rng, pick_color(rng, kSkin, 5), 0.08f);
  float stride = rng.uniform(0.0f, 0.11f) * h;
  float hip = 0.48f * h, shoulder = 0.82f * h;
  for (float s : {-1.0f, 1.0f}) {
    float b = s * stride;
    float lx = s * 0.05f * h;
    add_local(parts, f, Shape::kBox, {lx - 0.038f * h, 0, b - 0.04f * h},
              {lx + 0.038f * h, hip + 0.02f * h, b + 0.04f * h}, label, Material::kCloth, legs);
    float arm = -s * stride * 0.5f, ax = s * 0.14f * h;
    add_local(parts, f, Shape::kBox, {ax - 0.026f * h, 0.45f * h, arm - 0.028f * h},
              {ax + 0.026f * h, shoulder - 0.01f * h, arm + 0.028f * h}, label, Material::kCloth,
              rng.chance(0.3f) ? skin : top);
  }
  add_local(parts, f, Shape::kBox, {-0.11f * h, hip - 0.02f * h, -0.065f * h}, {0.11f * h, shoulder, 0.065f * h}, label,
            Material::kCloth, top);
  add_head(parts, rng, f, 0.925f * h, 0.0f, h, label, false);
  parts.emit(scene);
}

void add_bicycle_parts(Parts& parts, Rng& rng, const BodyFrame& f) {
  Vec3 frame = jitter_color(rng, pick_color(rng, kCloth, 12), 0.1f) * 1.2f;
  for (float b : {-0.52f, 0.52f}) {
    Primitive& w = add_local(parts, f, Shape::kCylinderX, {-0.025f, 0, b - 0.34f}, {0.025f, 0.68f, b + 0.34f}, kBicycle,
                             Material::kTire, {0.03f, 0.03f, 0.03f});
    w.color2 = {0.03f, 0.03f, 0.03f};
    w.variant = kSpokedWheel;
  }
  auto bar = [&](Vec3 lo, Vec3 hi) { add_local(parts, f, Shape::kBox, lo, hi, kBicycle, Material::kMetal, frame); };
  bar({-0.02f, 0.32f, -0.52f}, {0.02f, 0.36f, 0.0f});    // chain stay
  bar({-0.02f, 0.58f, -0.18f}, {0.02f, 0.62f, 0.42f});   // top tube
  bar({-0.02f, 0.34f, -0.05f}, {0.02f, 0.40f, 0.45f});   // down tube
  bar({-0.02f, 0.34f, -0.18f}, {0.02f, 0.88f, -0.14f});  // seat tube
  bar({-0.02f, 0.34f, 0.45f}, {0.02f, 1.0f, 0.49f});     // head tube and fork
  bar({-0.26f, 0.98f, 0.42f}, {0.26f, 1.02f, 0.46f});    // handlebar
  bar({-0.06f, 0.88f, -0.24f}, {0.06f, 0.92f, -0.08f});  // saddle
}

void add_cyclist(Scene& scene, Rng& rng, const BodyFrame& f, bool rider) {
  Parts parts;
  add_bicycle_parts(parts, rng, f);
  if (rider) {
    Vec3 top = jitter_color(rng, pick_color(rng, kCloth, 12), 0.1f);
    Vec3 legs = jitter_color(rng, pick_color(rng, kCloth, 12), 0.1f);
    add_local(parts, f, Shape::kBox, {-0.13f, 0.30f, -0.10f}, {-0.04f, 0.92f, 0.02f}, kRider, Material::kCloth, legs);
    add_local(parts, f, Shape::kBox, {0.04f, 0.45f, -0.02f}, {0.13f, 0.92f, 0.12f}, kRider, Material::kCloth, legs);
    add_local(parts, f, Shape::kBox, {-0.18f, 0.90f, -0.22f}, {0.18f, 1.45f, 0.04f}, kRider, Material::kCloth, top);
    for (float s : {-1.0f, 1.0f})
      add_local(parts, f, Shape::kBox, {s * 0.2f - 0.04f, 1.0f, 0.0f}, {s * 0.2f + 0.04f, 1.36f, 0.42f}, kRider,
                Material::kCloth, top);
    add_head(parts, rng, f, 1.57f, 0.02f, 1.75f, kRider, rng.chance(0.5f));
  }
  parts.emit(scene);
}

void add_motorcyclist(Scene& scene, Rng& rng, const BodyFrame& f) {
  Parts parts;
  Vec3 paint = jitter_color(rng, pick_color(rng, kCloth, 12), 0.1f) * 1.3f;
  for (float b : {-0.7f, 0.7f}) {
    Primitive& w = add_local(parts, f, Shape::kCylinderX, {-0.06f, 0, b - 0.31f}, {0.06f, 0.62f, b + 0.31f},
                             kMotorcycle, Material::kTire, {0.03f, 0.03f, 0.03f});
    w.color2 = {0.4f, 0.4f, 0.41f};
  }
  add_local(parts, f, Shape::kBox, {-0.17f, 0.30f, -0.55f}, {0.17f, 0.75f, 0.5f}, kMotorcycle, Material::kVehicleBody,
            paint);
  add_local(parts, f, Shape::kBox, {-0.15f, 0.75f, -0.55f}, {0.15f, 0.9f, 0.3f}, kMotorcycle, Material::kMetal,
            {0.04f, 0.04f, 0.04f});
  add_local(parts, f, Shape::kBox, {-0.04f, 0.30f, 0.52f}, {0.04f, 1.0f, 0.6f}, kMotorcycle, Material::kMetal,
            {0.3f, 0.3f, 0.3f});
  add_local(parts, f, Shape::kBox, {-0.36f, 0.96f, 0.46f}, {0.36f, 1.0f, 0.5f}, kMotorcycle, Material::kMetal,
            {0.1f, 0.1f, 0.1f});
  Vec3 suit = jitter_color(rng, pick_color(rng, kCloth, 12), 0.1f);
  for (float s : {-1.0f, 1.0f}) {
    add_local(parts, f, Shape::kBox, {s * 0.22f - 0.06f, 0.45f, -0.25f}, {s * 0.22f + 0.06f, 0.95f, 0.15f}, kRider,
              Material::kCloth, suit);
    add_local(parts, f, Shape::kBox, {s * 0.2f - 0.04f, 1.05f, -0.05f}, {s * 0.2f + 0.04f, 1.35f, 0.42f}, kRider,
              Material::kCloth, suit);
  }
  add_local(parts, f, Shape::kBox, {-0.19f, 0.9f, -0.35f}, {0.19f, 1.45f, -0.05f}, kRider, Material::kCloth, suit);
  add_head(parts, rng, f, 1.6f, -0.12f, 1.75f, kRider, true);
  parts.emit(scene);
}

bool claim(SceneContext& ctx, float x, float z, float half_x, float half_z, float margin) {
  Footprint f{x - half_x, x + half_x, z - half_z, z + half_z};
  if (!ctx.is_free(f, margin)) return false;
  ctx.take(f);
  return true;
}

}  // namespace

void build_people(SceneContext& ctx, Rng rng) {
  Scene& scene = ctx.scene;
  const Street& st = scene.street;
  float hc = st.curb_height;
  for (int side = 0; side < 2; ++side) {  // pedestrians on the sidewalks, alone or in pairs
    Rng r = rng.fork(static_cast<uint64_t>(side) + 1);
    const SideProfile& p = st.side[side];
    float walk_w = p.walk1 - p.walk0;
    if (walk_w < 1.2f) continue;
    int count = r.range(0, p.kind == SideProfile::kCity ? 9 : 4);
    for (int i = 0; i < count; ++i) {
      float d = r.uniform(p.walk0 + 0.45f, p.walk1 - 0.45f), z = r.uniform(1.5f, 85.0f);
      float x = side_sign(side) * d;
      if (overlaps_side_street(st, side, z - 0.5f, z + 0.5f, 0.5f) || !claim(ctx, x, z, 0.3f, 0.3f, 0.15f)) continue;
      bool along_z = r.chance(0.75f);
      float h = r.chance(0.1f) ? r.uniform(1.05f, 1.4f) : r.uniform(1.55f, 1.95f);
      add_pedestrian(scene, r, {x, z, hc, along_z, r.sign()}, h, kPerson);
      bool pair = along_z && r.chance(0.3f) && d + 0.6f < p.walk1 - 0.3f;
      if (pair && claim(ctx, x + side_sign(side) * 0.6f, z, 0.3f, 0.3f, 0.0f)) {
        // one draw per argument list: compilers evaluate function arguments in different orders
        BodyFrame mate{x + side_sign(side) * 0.6f, z, hc, true, r.sign()};
        add_pedestrian(scene, r, mate, r.uniform(1.55f, 1.9f), kPerson);
      }
    }
    if (walk_w > 2.5f && r.chance(0.5f)) {  // parked bicycles side by side at a rack by the building line
      float z = r.uniform(3.0f, 50.0f), x = side_sign(side) * (p.walk1 - 1.0f);
      int bikes = r.range(1, 4);
      for (int b = 0; b < bikes; ++b, z += 0.7f) {
        if (overlaps_side_street(st, side, z - 0.5f, z + 0.5f, 0.5f) || !claim(ctx, x, z, 0.9f, 0.2f, 0.1f)) break;
        add_cyclist(scene, r, {x, z, hc, false, r.sign()}, false);
      }
    }
  }
  Rng r = rng.fork(3);
  for (const ZRange& c : st.crosswalks) {  // people on the zebra crossings, walking across
    int count = r.chance(0.6f) ? r.range(1, 3) : 0;
    for (int i = 0; i < count; ++i) {
      float x = r.uniform(-st.half_width + 0.5f, st.half_width - 0.5f), z = r.uniform(c.z0 + 0.4f, c.z1 - 0.4f);
      if (claim(ctx, x, z, 0.3f, 0.3f, 0.2f)) {
        BodyFrame body{x, z, 0.0f, false, r.sign()};
        add_pedestrian(scene, r, body, r.uniform(1.55f, 1.9f), kPerson);
      }
    }
  }
  float lanes_hw = lanes_half_width(st);
  int cyclists = r.chance(0.6f) ? r.range(1, 3) : 0;
  for (int i = 0; i < cyclists; ++i) {  // cyclists ride near the kerb of their direction
    int side = st.two_way ? (r.chance(0.6f) ? 1 : 0) : 1;
    float x = side_sign(side) * (lanes_hw - r.uniform(0.6f, 1.0f)), z = r.uniform(5.0f, 70.0f);
    if (claim(ctx, x, z, 0.35f, 0.9f, 1.0f)) add_cyclist(scene, r, {x, z, 0.0f, true, side ? 1.0f : -1.0f}, true);
  }
  if (r.chance(0.35f)) {
    int lane = r.range(0, st.lanes - 1);
    float x = -lanes_hw + (static_cast<float>(lane) + 0.5f) * st.lane_width + r.uniform(-0.6f, 0.6f);
    float z = r.uniform(8.0f, 80.0f);
    if (claim(ctx, x, z, 0.4f, 1.1f, 1.5f))
      add_motorcyclist(scene, r, {x, z, 0.0f, true, !st.two_way || x > 0 ? 1.0f : -1.0f});
  }
}

}  // namespace tandem::synth
