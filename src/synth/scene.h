// The synthetic street scene: camera, sun and sky, street layout, and axis-aligned primitives grouped into objects.
//
// World frame: metres, x to the right of the road's direction, y up, z along the road; the road surface is the
// plane y = 0 and the road's centre line is x = 0. Every primitive is an axis-aligned box or the cylinder or
// ellipsoid inscribed in its box, which keeps intersection cheap and exact.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "synth/synth_math.h"

namespace tandem {

// A fixed camera instead of the per-frame random pose (geometry checks, custom scenes).
struct SynthCameraPose {
  float x = 0;          // lateral position, m (road centre at 0)
  float height = 1.5f;  // above the road surface, m
  float pitch = 0;      // radians, positive looks down
  float yaw = 0;        // radians, positive turns right
  float roll = 0;       // radians, about the optical axis
  float focal = 0;      // pixels (fx = fy); 0 means 0.8 * width
};

struct SynthOptions {
  bool objects = true;  // false: the bare ground plane only (no kerbs, buildings, vegetation or agents)
  bool shadows = true;  // one shadow ray per pixel towards the sun
  bool fog = true;      // distance fog (colour only; labels and depth never change)
  std::optional<SynthCameraPose> camera;
  float max_depth = 250.0f;  // farther hits keep their label but get depth 0 (16-bit PNG depth ends at 255.99 m)
};

}  // namespace tandem

namespace tandem::synth {

// Cityscapes train ids.
enum TrainId : uint8_t {
  kRoad = 0,
  kSidewalk = 1,
  kBuilding = 2,
  kWall = 3,
  kFence = 4,
  kPole = 5,
  kTrafficLight = 6,
  kTrafficSign = 7,
  kVegetation = 8,
  kTerrain = 9,
  kSky = 10,
  kPerson = 11,
  kRider = 12,
  kCar = 13,
  kTruck = 14,
  kBus = 15,
  kTrain = 16,
  kMotorcycle = 17,
  kBicycle = 18,
  kIgnore = 255,
};

enum class Shape : uint8_t {
  kBox,
  kCylinderX,  // axis along x (wheels), inscribed in the box
  kCylinderY,  // vertical (poles, trunks, people's limbs)
  kCylinderZ,  // axis along z (round signs facing the road)
  kEllipsoid,  // inscribed in the box (tree crowns, heads)
};

// What the texture/lighting code does with a primitive; the meaning of `param` and `variant` is per material.
enum class Material : uint8_t {
  kPlain,
  kConcrete,
  kPaving,  // param: tile size, road-side edge x, kerb-stone width; color2 = kerb stone
  kGrass,
  kFacade,  // param: storey height, window pitch, window width fraction; variant: window style; color2 trim
  kBrick,   // color2 = mortar
  kFence,   // param: slat pitch, solid fraction; holes let rays through (alpha-tested in raycast)
  kLeaves,
  kBark,
  kMetal,
  kVehicleBody,   // variant bit 0: front at +z; bit 1: has lights; bit 2: window band param[0]..param[1] (y)
  kVehicleGlass,  // param[0]: pillar width; color = frame colour
  kTire,          // color2 = rim; variant kSpokedWheel: only the tyre ring is solid (alpha-tested in raycast)
  kSign,          // variant low bits: sign type; bit 7: face at +z
  kTrafficLight,  // variant low bits: 0 red, 1 amber, 2 green; bit 7: lamps at +z
  kSkin,          // color2 = hair
  kCloth,
};

inline constexpr uint8_t kFacesPlusZ = 0x80;
inline constexpr uint8_t kSpokedWheel = 0x01;

struct Primitive {
  Vec3 lo, hi;  // the box; cylinders and ellipsoids are inscribed in it
  Shape shape = Shape::kBox;
  uint8_t label = kIgnore;
  Material material = Material::kPlain;
  uint8_t variant = 0;
  Vec3 color, color2;  // linear RGB albedos
  float param[3] = {0, 0, 0};
};

// A group of primitives culled together (a car, a tree): `lo`/`hi` bound them all.
struct Object {
  Vec3 lo, hi;
  uint32_t first = 0, count = 0;
};

// Pinhole camera; pixel (u, v) looks along forward + right * (u - cx) / fx + up * (cy - v) / fy, so the ray
// parameter of a hit is its depth along the optical axis.
struct Camera {
  Vec3 position, right, up, forward;
  float fx = 0, fy = 0, cx = 0, cy = 0;
  int width = 0, height = 0;
};

struct Lighting {
  Vec3 sun_dir;  // unit, towards the sun
  Vec3 sun_color;
  Vec3 sky_zenith, sky_horizon, ground_bounce;
  Vec3 fog_color;
  float fog_density = 0;  // per metre
  float cloud_cover = 0;  // 0 clear .. 1 overcast
  float exposure = 1;
  Vec3 white_balance{1, 1, 1};
  bool shadows = true;
};

// The lateral profile of one side of the street, as distances from the centre line (positive).
struct SideProfile {
  enum Kind : uint8_t { kCity, kVerge, kOpen };
  Kind kind = kCity;
  float walk0 = 0, walk1 = 0;    // sidewalk
  float verge0 = 0, verge1 = 0;  // grass strip (empty when equal)
  float build = 0;               // building line (kCity/kVerge); open land beyond it for kOpen
};

struct ZRange {
  float z0 = 0, z1 = 0;
};

struct Street {
  float half_width = 3.5f;  // road from -half_width to +half_width
  int lanes = 2;
  float lane_width = 3.5f;
  bool two_way = true;
  float parking = 0;  // width of the parking strip along each kerb, inside half_width
  float curb_height = 0.14f;
  float dash_length = 3, dash_period = 9;
  Vec3 asphalt{0.1f, 0.1f, 0.1f}, paint{0.7f, 0.7f, 0.7f}, terrain{0.2f, 0.3f, 0.1f};
  SideProfile side[2];                  // [0] left (x < 0), [1] right (x > 0)
  std::vector<ZRange> side_streets[2];  // gaps in that side's kerb and buildings where a side road leaves
  std::vector<ZRange> crosswalks;       // zebra crossings over the main road
  float end_z = 0;                      // > 0: a cross street at [end_z - end_width, end_z] closes the view
  float end_width = 0;
};

struct Scene {
  Camera camera;
  Lighting light;
  Street street;
  std::vector<Primitive> prims;
  std::vector<Object> objects;
  uint32_t texture_seed = 0;
  float max_depth = 250.0f;
};

// The random scene of frame `seed`; deterministic and free of global state.
Scene build_scene(uint64_t seed, int height, int width, const SynthOptions& options = {});

// Appends one object made of `parts`.
void add_object(Scene& scene, const std::vector<Primitive>& parts);
Primitive make_primitive(Shape shape, Vec3 lo, Vec3 hi, uint8_t label, Material material, Vec3 color);

// Whether the ground plane at (x, z) is road (main road, side streets, the closing cross street) or terrain.
bool ground_is_road(const Street& street, float x, float z);

}  // namespace tandem::synth
