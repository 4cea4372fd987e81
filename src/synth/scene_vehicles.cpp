// Vehicles on the road, facing along it: cars, trucks and buses in the lanes, cars in the parking strips.
// Traffic keeps to the right: lanes at x > 0 drive towards +z (we see their backs), lanes at x < 0 towards -z.
#include <algorithm>

#include "synth/scene_builder.h"

namespace tandem::synth {
namespace {

const Vec3 kCarColors[] = {{0.70f, 0.70f, 0.70f}, {0.03f, 0.03f, 0.035f}, {0.45f, 0.46f, 0.47f}, {0.20f, 0.20f, 0.21f},
                           {0.04f, 0.07f, 0.18f}, {0.45f, 0.04f, 0.03f},  {0.08f, 0.20f, 0.45f}, {0.05f, 0.15f, 0.08f},
                           {0.50f, 0.42f, 0.30f}, {0.60f, 0.45f, 0.05f},  {0.62f, 0.63f, 0.65f}, {0.10f, 0.10f, 0.11f}};
const Vec3 kTire{0.03f, 0.03f, 0.03f}, kRim{0.45f, 0.45f, 0.46f};

uint8_t body_variant(bool plus_z, bool window_band) {
  return static_cast<uint8_t>((plus_z ? 1 : 0) | 2 | (window_band ? 4 : 0));
}

// Pairs of wheels (x-axis cylinders) flush with the body sides at each axle.
void add_wheels(Parts& parts, float x, float half_w, float r, float width, const std::vector<float>& axles,
                uint8_t label) {
  for (float az : axles)
    for (float s : {-1.0f, 1.0f}) {
      float outer = x + s * (half_w + 0.01f), inner = outer - s * width;
      Primitive& w =
          parts.add(Shape::kCylinderX, {inner, 0, az - r}, {outer, 2 * r, az + r}, label, Material::kTire, kTire);
      w.color2 = kRim;
    }
}

float add_car(Scene& scene, Rng& rng, float x, float z, bool plus_z) {
  Parts parts;
  int type = rng.range(0, 9);  // 0-5 saloon/hatchback, 6-8 SUV, 9 van
  bool suv = type >= 6 && type <= 8, van = type == 9;
  float len = van ? rng.uniform(4.8f, 5.4f) : rng.uniform(3.8f, 4.9f);
  float half_w = (van ? rng.uniform(1.9f, 2.05f) : rng.uniform(1.68f, 1.92f)) / 2;
  float r = suv || van ? rng.uniform(0.33f, 0.37f) : rng.uniform(0.29f, 0.33f);
  float y0 = r * rng.uniform(0.7f, 0.9f);
  float y1 = van ? rng.uniform(1.0f, 1.1f) : (suv ? rng.uniform(0.95f, 1.1f) : rng.uniform(0.8f, 0.95f));
  float height = van ? rng.uniform(1.9f, 2.1f) : (suv ? rng.uniform(1.6f, 1.85f) : rng.uniform(1.38f, 1.52f));
  float f = plus_z ? 1.0f : -1.0f;  // front direction
  float zf = z + f * len / 2, zr = z - f * len / 2;
  Vec3 paint = jitter_color(rng, pick_color(rng, kCarColors, 12), 0.06f);
  Primitive& body =
      parts.add(Shape::kBox, {x - half_w, y0, zr}, {x + half_w, y1, zf}, kCar, Material::kVehicleBody, paint);
  body.variant = body_variant(plus_z, false);
  float hood = van ? len * 0.12f : len * rng.uniform(0.24f, 0.32f);
  float trunk = van ? 0.05f : len * (type % 2 ? rng.uniform(0.04f, 0.1f) : rng.uniform(0.14f, 0.22f));
  float inset = van ? 0.03f : rng.uniform(0.06f, 0.12f);
  Primitive& cabin = parts.add(Shape::kBox, {x - half_w + inset, y1, zr + f * trunk},
                               {x + half_w - inset, height, zf - f * hood}, kCar, Material::kVehicleGlass, paint);
  cabin.param[0] = rng.uniform(0.08f, 0.14f);
  add_wheels(parts, x, half_w, r, 0.22f, {zf - f * rng.uniform(0.7f, 0.95f), zr + f * rng.uniform(0.65f, 0.9f)}, kCar);
  parts.emit(scene);
  return len;
}

float add_truck(Scene& scene, Rng& rng, float x, float z, bool plus_z) {
  Parts parts;
  float f = plus_z ? 1.0f : -1.0f;
  float cab_len = rng.uniform(1.9f, 2.3f), cargo_len = rng.uniform(4.5f, 8.0f), half_w = 1.25f;
  float len = cab_len + 0.25f + cargo_len, zf = z + f * len / 2, zr = z - f * len / 2;
  float r = rng.uniform(0.45f, 0.52f);
  Vec3 cab_color = jitter_color(rng, pick_color(rng, kCarColors, 12), 0.08f);
  Primitive& cab =
      parts.add(Shape::kBox, {x - half_w + 0.05f, 0.45f, zf - f * cab_len},
                {x + half_w - 0.05f, rng.uniform(2.8f, 3.1f), zf}, kTruck, Material::kVehicleBody, cab_color);
  cab.variant = body_variant(plus_z, true);
  cab.param[0] = 1.65f;
  cab.param[1] = 2.5f;
  cab.param[2] = 100.0f;  // no pillars
  Vec3 cargo_color = rng.chance(0.5f) ? jitter_color(rng, {0.65f, 0.65f, 0.64f}, 0.05f)
                                      : jitter_color(rng, pick_color(rng, kCarColors, 12), 0.08f);
  Primitive& cargo =
      parts.add(Shape::kBox, {x - half_w, 0.95f, zr}, {x + half_w, rng.uniform(3.2f, 3.9f), zr + f * cargo_len}, kTruck,
                Material::kVehicleBody, cargo_color);
  cargo.variant = static_cast<uint8_t>(plus_z ? 3 : 2);  // rear lights on the box
  parts.add(Shape::kBox, {x - 0.8f, 0.5f, zr + f * 0.3f}, {x + 0.8f, 0.95f, zf - f * cab_len}, kTruck, Material::kMetal,
            {0.04f, 0.04f, 0.04f});
  add_wheels(parts, x, half_w - 0.05f, r, 0.35f,
             {zf - f * (cab_len * 0.5f), zr + f * 1.0f, zr + f * (1.0f + 2.2f * r + 0.15f)}, kTruck);
  parts.emit(scene);
  return len;
}

float add_bus(Scene& scene, Rng& rng, float x, float z, bool plus_z) {
  Parts parts;
  float f = plus_z ? 1.0f : -1.0f;
  float len = rng.uniform(10.5f, 12.5f), half_w = 1.27f, zf = z + f * len / 2, zr = z - f * len / 2;
  static const Vec3 kBusColors[] = {{0.60f, 0.50f, 0.05f},
                                    {0.55f, 0.05f, 0.04f},
                                    {0.65f, 0.66f, 0.66f},
                                    {0.05f, 0.25f, 0.12f},
                                    {0.06f, 0.14f, 0.40f}};
  Primitive& body = parts.add(Shape::kBox, {x - half_w, 0.32f, zr}, {x + half_w, rng.uniform(2.95f, 3.25f), zf}, kBus,
                              Material::kVehicleBody, jitter_color(rng, pick_color(rng, kBusColors, 5), 0.06f));
  body.variant = body_variant(plus_z, true);
  body.param[0] = rng.uniform(1.1f, 1.25f);
  body.param[1] = rng.uniform(2.45f, 2.65f);
  body.param[2] = rng.uniform(1.2f, 1.6f);  // window pillar pitch
  add_wheels(parts, x, half_w, 0.5f, 0.32f, {zf - f * 2.6f, zr + f * 3.0f}, kBus);
  parts.emit(scene);
  return len;
}

}  // namespace

void build_vehicles(SceneContext& ctx, Rng rng) {
  Scene& scene = ctx.scene;
  const Street& st = scene.street;
  float lanes_w = 2 * lanes_half_width(st);
  float cam_x = scene.camera.position.x;
  int driving = rng.range(0, 8);
  for (int i = 0, tries = 0; i < driving && tries < 40; ++tries) {
    int lane = rng.range(0, st.lanes - 1);
    float x = -lanes_w / 2 + (static_cast<float>(lane) + 0.5f) * st.lane_width + rng.uniform(-0.3f, 0.3f);
    bool plus_z = !st.two_way || x > 0;
    bool own_lane = x - cam_x < st.lane_width / 2 && cam_x - x < st.lane_width / 2;
    float z = rng.uniform(own_lane ? 12.0f : 5.0f, 130.0f);
    float u = rng.uniform();
    float len = u < 0.1f ? 12.5f : (u < 0.22f ? 11.0f : 5.4f), half_w = u < 0.22f ? 1.3f : 1.0f;
    Footprint fp{x - half_w, x + half_w, z - len / 2, z + len / 2};
    if (!ctx.is_free(fp, 1.5f)) continue;
    ctx.take(fp);
    if (u < 0.1f)
      add_bus(scene, rng, x, z, plus_z);
    else if (u < 0.22f)
      add_truck(scene, rng, x, z, plus_z);
    else
      add_car(scene, rng, x, z, plus_z);
    ++i;
  }
  if (st.parking <= 0) return;
  for (int side = 0; side < 2; ++side) {
    Rng r = rng.fork(static_cast<uint64_t>(side) + 1);
    float x = side_sign(side) * (lanes_w / 2 + st.parking / 2);
    float occupancy = r.uniform(0.3f, 0.95f);
    // slots of 5.4 m (the longest van) so neighbours never overlap, whatever length each car gets
    for (float z = r.uniform(-8.0f, 0.0f); z < 120.0f; z += 5.4f + r.uniform(0.3f, 3.0f)) {
      bool blocked = overlaps_side_street(st, side, z, z + 5.4f, 1.0f);
      for (const ZRange& c : st.crosswalks) blocked = blocked || (z < c.z1 + 3.0f && c.z0 - 3.0f < z + 5.4f);
      if (blocked || !r.chance(occupancy)) continue;
      ctx.take({x - 1.0f, x + 1.0f, z, z + 5.4f});
      add_car(scene, r, x + r.uniform(-0.15f, 0.15f), z + 2.7f, side == 1);
    }
  }
}

}  // namespace tandem::synth
