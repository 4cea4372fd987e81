// What the scene generators share: part lists, ground footprints that keep objects apart, per-side geometry.
#pragma once

#include <vector>

#include "synth/rng.h"
#include "synth/scene.h"

namespace tandem::synth {

// A rectangle on the ground plane (x0 <= x1, z0 <= z1).
struct Footprint {
  float x0 = 0, x1 = 0, z0 = 0, z1 = 0;
};

// The generation state of one frame: the scene being filled and the footprints already taken.
struct SceneContext {
  Scene& scene;
  std::vector<Footprint> taken;
  float z_begin = -25.0f;  // generated content spans [z_begin, z_end]
  float z_end = 260.0f;

  bool is_free(const Footprint& f, float margin) const;
  void take(const Footprint& f) { taken.push_back(f); }
};

// The primitives of one object under construction.
class Parts {
 public:
  Primitive& add(Shape shape, Vec3 lo, Vec3 hi, uint8_t label, Material material, Vec3 color);
  void emit(Scene& scene);

 private:
  std::vector<Primitive> parts_;
};

inline float side_sign(int side) { return side ? 1.0f : -1.0f; }
// The strip between distances d0 < d1 from the centre line on `side`, over [z0, z1].
Footprint side_strip(int side, float d0, float d1, float z0, float z1);
bool overlaps_side_street(const Street& street, int side, float z0, float z1, float margin);
// [z0, z1] without that side's side streets.
std::vector<ZRange> side_segments(const Street& street, int side, float z0, float z1);
// Half width of the driving lanes (the road minus its parking strips).
float lanes_half_width(const Street& street);

Vec3 jitter_color(Rng& rng, Vec3 c, float amount);
Vec3 pick_color(Rng& rng, const Vec3* palette, int n);

// Generators, in the order build_scene runs them (later ones avoid the footprints of earlier ones).
void build_roadside(SceneContext& ctx, Rng rng);   // sidewalks, kerbs, verges, buildings, walls, fences, trees
void build_furniture(SceneContext& ctx, Rng rng);  // street lamps, traffic signs, traffic lights
void build_vehicles(SceneContext& ctx, Rng rng);   // cars, trucks, buses (driving and parked)
void build_people(SceneContext& ctx, Rng rng);     // pedestrians, cyclists, motorcyclists

// A tree standing at (x, base_y, z): trunk and a crown of a few ellipsoids, all vegetation.
void add_tree(Scene& scene, Rng& rng, float x, float z, float base_y, float scale);

}  // namespace tandem::synth
