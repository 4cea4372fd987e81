// The static roadside: sidewalks with kerbs, grass verges, building rows with gaps (walls, fences), hedges, trees.
#include <algorithm>

#include "synth/scene_builder.h"

namespace tandem::synth {
namespace {

const Vec3 kFacadeColors[] = {
    {0.50f, 0.44f, 0.33f}, {0.66f, 0.64f, 0.59f}, {0.38f, 0.38f, 0.38f}, {0.36f, 0.16f, 0.10f}, {0.62f, 0.52f, 0.28f},
    {0.42f, 0.47f, 0.52f}, {0.28f, 0.21f, 0.15f}, {0.58f, 0.40f, 0.33f}, {0.20f, 0.20f, 0.22f}, {0.55f, 0.56f, 0.50f}};
const Vec3 kPavingColors[] = {
    {0.33f, 0.32f, 0.30f}, {0.42f, 0.40f, 0.37f}, {0.34f, 0.24f, 0.20f}, {0.27f, 0.27f, 0.28f}, {0.40f, 0.36f, 0.30f}};

// A raised strip (sidewalk, kerb, grass), cut into pieces of at most 25 m so culling stays tight.
void add_slab(Scene& scene, int side, float d0, float d1, ZRange seg, float top, uint8_t label, Material material,
              Vec3 color, Vec3 color2, float p0, float p1, float p2) {
  for (float z = seg.z0; z < seg.z1; z += 25.0f) {
    Footprint f = side_strip(side, d0, d1, z, std::min(seg.z1, z + 25.0f));
    Primitive p = make_primitive(Shape::kBox, {f.x0, 0, f.z0}, {f.x1, top, f.z1}, label, material, color);
    p.color2 = color2;
    p.param[0] = p0;
    p.param[1] = p1;
    p.param[2] = p2;
    add_object(scene, {p});
  }
}

struct BuildingStyle {
  float height_lo, height_hi;
  float setback_max;
};

void add_building(Scene& scene, Rng& rng, Footprint f, float height) {
  Primitive b = make_primitive(Shape::kBox, {f.x0, 0, f.z0}, {f.x1, height, f.z1}, kBuilding, Material::kFacade,
                               jitter_color(rng, pick_color(rng, kFacadeColors, 10), 0.12f));
  b.color2 = rng.chance(0.5f) ? b.color * 0.6f : mix(b.color, Vec3{0.8f, 0.8f, 0.78f}, 0.6f);
  b.param[0] = rng.uniform(2.8f, 3.6f);               // storey height
  b.param[1] = rng.uniform(1.8f, 3.2f);               // window pitch
  b.param[2] = rng.uniform(0.35f, 0.62f);             // window width / pitch
  b.variant = static_cast<uint8_t>(rng.range(0, 3));  // window style
  std::vector<Primitive> parts{b};
  float inset = rng.uniform(1.0f, 2.5f);
  if (height > 9.0f && f.x1 - f.x0 > 2 * inset + 2 && f.z1 - f.z0 > 2 * inset + 2 && rng.chance(0.3f)) {
    Primitive top = b;  // a set-back top storey
    top.lo = {f.x0 + inset, height, f.z0 + inset};
    top.hi = {f.x1 - inset, height + rng.uniform(2.5f, 3.5f), f.z1 - inset};
    parts.push_back(top);
  }
  add_object(scene, parts);
}

// Between two buildings: a wall or a fence on the building line, and a tree behind it.
void add_gap(SceneContext& ctx, Rng& rng, int side, float line, float z0, float z1) {
  Scene& scene = ctx.scene;
  float h = rng.uniform(1.0f, 2.4f);
  if (rng.chance(0.5f)) {
    Footprint f = side_strip(side, line, line + rng.uniform(0.2f, 0.35f), z0, z1);
    bool brick = rng.chance(0.5f);
    Primitive w = make_primitive(
        Shape::kBox, {f.x0, 0, f.z0}, {f.x1, h, f.z1}, kWall, brick ? Material::kBrick : Material::kConcrete,
        brick ? jitter_color(rng, {0.33f, 0.14f, 0.08f}, 0.2f) : jitter_color(rng, {0.42f, 0.41f, 0.38f}, 0.2f));
    w.color2 = {0.45f, 0.43f, 0.40f};
    add_object(scene, {w});
  } else {
    Footprint f = side_strip(side, line, line + 0.05f, z0, z1);
    Primitive fe = make_primitive(Shape::kBox, {f.x0, 0, f.z0}, {f.x1, h, f.z1}, kFence, Material::kFence,
                                  rng.chance(0.5f) ? jitter_color(rng, {0.25f, 0.17f, 0.10f}, 0.2f)
                                                   : jitter_color(rng, {0.18f, 0.20f, 0.19f}, 0.3f));
    fe.param[0] = rng.uniform(0.10f, 0.25f);
    fe.param[1] = rng.uniform(0.3f, 0.65f);
    add_object(scene, {fe});
  }
  if (z1 - z0 > 3.0f && rng.chance(0.8f))
    add_tree(scene, rng, side_sign(side) * (line + rng.uniform(2.5f, 5.0f)), 0.5f * (z0 + z1), 0.0f, 1.0f);
}

void add_building_row(SceneContext& ctx, Rng& rng, int side, float line, ZRange seg, const BuildingStyle& style,
                      bool sparse) {
  float z = seg.z0;
  while (z < seg.z1 - 3.0f) {
    float len = std::min(rng.uniform(8.0f, 28.0f), seg.z1 - z);
    if (seg.z1 - z - len < 5.0f) len = seg.z1 - z;
    if (sparse ? rng.chance(0.4f) : (len > 6.0f && rng.chance(0.2f))) {
      float gap = sparse ? len : std::min(len, rng.uniform(4.0f, 10.0f));
      if (!sparse) add_gap(ctx, rng, side, line, z, z + gap);
      z += gap;
      continue;
    }
    float setback = rng.uniform(0.0f, style.setback_max);
    float depth = rng.uniform(10.0f, 25.0f);
    float height = rng.uniform(style.height_lo, style.height_hi);
    add_building(ctx.scene, rng, side_strip(side, line + setback, line + setback + depth, z, z + len), height);
    z += len;
  }
}

// Trees along the kerb or the verge at a regular pitch, skipping junctions.
void add_tree_row(SceneContext& ctx, Rng& rng, int side, float d, ZRange seg, float base_y) {
  float pitch = rng.uniform(7.0f, 14.0f);
  float scale = rng.uniform(0.8f, 1.2f);
  for (float z = seg.z0 + rng.uniform(1.0f, pitch); z < seg.z1 - 1.5f; z += pitch) {
    if (!rng.chance(0.85f)) continue;
    float x = side_sign(side) * d;
    Footprint f{x - 0.5f, x + 0.5f, z - 0.5f, z + 0.5f};
    if (!ctx.is_free(f, 0.3f)) continue;
    ctx.take(f);
    add_tree(ctx.scene, rng, x, z, base_y, scale * rng.uniform(0.85f, 1.15f));
  }
}

void add_open_land(SceneContext& ctx, Rng& rng, int side, const SideProfile& p, ZRange seg) {
  Scene& scene = ctx.scene;
  float hc = scene.street.curb_height;
  if (rng.chance(0.45f)) {  // a hedge along the back of the sidewalk
    Footprint f = side_strip(side, p.walk1, p.walk1 + rng.uniform(0.6f, 1.1f), seg.z0, seg.z1);
    float h = rng.uniform(0.7f, 1.5f);
    for (float z = f.z0; z < f.z1; z += 20.0f) {
      Primitive hedge = make_primitive(Shape::kBox, {f.x0, hc * 0.5f, z}, {f.x1, h, std::min(f.z1, z + 20.0f)},
                                       kVegetation, Material::kLeaves, jitter_color(rng, {0.06f, 0.12f, 0.04f}, 0.2f));
      add_object(scene, {hedge});
    }
  } else if (rng.chance(0.4f)) {
    add_gap(ctx, rng, side, p.walk1 + 0.3f, seg.z0, std::min(seg.z1, seg.z0 + 60.0f));
  }
  int trees = rng.range(3, 12);
  for (int i = 0; i < trees; ++i) {
    float d = rng.uniform(p.walk1 + 2.5f, p.build - 2.0f), z = rng.uniform(seg.z0, seg.z1);
    add_tree(scene, rng, side_sign(side) * d, z, 0.0f, rng.uniform(0.8f, 1.4f));
  }
  add_building_row(ctx, rng, side, p.build, seg, {5.0f, 14.0f, 3.0f}, true);
}

// The cross street that closes the view: a sidewalk across and a row of buildings facing the camera.
void add_street_end(SceneContext& ctx, Rng& rng) {
  Scene& scene = ctx.scene;
  const Street& st = scene.street;
  float walk = rng.uniform(2.0f, 4.5f);
  Vec3 paving = jitter_color(rng, pick_color(rng, kPavingColors, 5), 0.1f);
  for (float x = -120.0f; x < 120.0f; x += 24.0f) {
    Primitive p = make_primitive(Shape::kBox, {x, 0, st.end_z}, {x + 24.0f, st.curb_height, st.end_z + walk + 1.0f},
                                 kSidewalk, Material::kPaving, paving);
    p.color2 = {0.5f, 0.49f, 0.46f};
    p.param[0] = 0.4f;
    p.param[1] = 1e6f;  // kerb along z: no kerb strip along x
    add_object(scene, {p});
  }
  float z0 = st.end_z + walk;
  for (float x = -120.0f; x < 120.0f;) {
    float len = rng.uniform(9.0f, 26.0f);
    // one draw per statement: the order in which function arguments are evaluated differs between compilers
    Footprint f{x, x + len, z0 + rng.uniform(0.0f, 0.8f), z0 + rng.uniform(12.0f, 25.0f)};
    add_building(scene, rng, f, rng.uniform(7.0f, 26.0f));
    x += len;
  }
}

}  // namespace

void build_roadside(SceneContext& ctx, Rng rng) {
  Scene& scene = ctx.scene;
  const Street& st = scene.street;
  float hc = st.curb_height;
  for (int side = 0; side < 2; ++side) {
    Rng r = rng.fork(static_cast<uint64_t>(side));
    const SideProfile& p = st.side[side];
    Vec3 paving = jitter_color(r, pick_color(r, kPavingColors, 5), 0.1f);
    Vec3 kerb = jitter_color(r, {0.50f, 0.49f, 0.46f}, 0.1f);
    float tile = r.uniform(0.25f, 0.6f), kerb_w = r.uniform(0.15f, 0.3f);
    float edge_x = side_sign(side) * st.half_width;
    // Each strip reaches under the next one (or under the buildings), so no ground shows between them.
    bool verge_first = p.verge1 > p.verge0 && p.verge0 == st.half_width;
    bool gardens = p.kind == SideProfile::kVerge && !verge_first;
    float walk_end = p.kind == SideProfile::kOpen || gardens ? p.walk1 : p.build + 1.0f;
    float verge_end = verge_first ? p.walk0 : p.build + 1.0f;
    float u = r.uniform();
    BuildingStyle style = u < 0.35f ? BuildingStyle{5.5f, 11.0f, 0.8f}
                                    : (u < 0.8f ? BuildingStyle{9.0f, 20.0f, 0.8f} : BuildingStyle{14.0f, 34.0f, 0.5f});
    bool kerb_trees = p.kind == SideProfile::kCity && p.walk1 - p.walk0 > 2.6f && r.chance(0.65f);
    for (const ZRange& seg : side_segments(st, side, ctx.z_begin, ctx.z_end)) {
      if (verge_first) {
        float k = st.half_width + 0.18f;
        add_slab(scene, side, st.half_width, k, seg, hc, kSidewalk, Material::kConcrete, kerb, kerb, 0, 0, 0);
        add_slab(scene, side, k, verge_end, seg, hc * 0.85f, kTerrain, Material::kGrass, st.terrain, st.terrain, 0, 0,
                 0);
        add_slab(scene, side, p.walk0, walk_end, seg, hc, kSidewalk, Material::kPaving, paving, kerb, tile, 1e6f, 0);
        add_tree_row(ctx, r, side, 0.5f * (k + verge_end), seg, hc * 0.85f);
      } else {
        add_slab(scene, side, p.walk0, walk_end, seg, hc, kSidewalk, Material::kPaving, paving, kerb, tile, edge_x,
                 kerb_w);
        if (p.kind == SideProfile::kVerge) {
          add_slab(scene, side, p.walk1, verge_end, seg, hc * 0.9f, kTerrain, Material::kGrass, st.terrain, st.terrain,
                   0, 0, 0);
          if (r.chance(0.6f)) add_tree_row(ctx, r, side, 0.5f * (p.verge0 + p.verge1), seg, hc * 0.9f);
        }
        if (kerb_trees) add_tree_row(ctx, r, side, st.half_width + 0.9f, seg, hc);
      }
      if (p.kind == SideProfile::kOpen)
        add_open_land(ctx, r, side, p, seg);
      else
        add_building_row(ctx, r, side, p.build, seg, style, false);
    }
  }
  if (st.end_z > 0) {
    Rng r = rng.fork(7);
    add_street_end(ctx, r);
  }
}

}  // namespace tandem::synth
