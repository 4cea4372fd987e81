// The frame's random layout: street profile, camera pose and intrinsics, sun and sky; then the generators.
#include "synth/scene.h"

#include <algorithm>

#include "synth/scene_builder.h"

namespace tandem::synth {
namespace {

void make_side(SideProfile& side, Rng& rng, float road_edge, bool other_open) {
  float u = rng.uniform();
  side.kind = u < 0.6f || other_open ? SideProfile::kCity : (u < 0.8f ? SideProfile::kVerge : SideProfile::kOpen);
  float walk = rng.uniform(1.8f, 5.0f);
  float verge = rng.uniform(1.0f, 3.0f);
  if (side.kind == SideProfile::kVerge && rng.chance(0.6f)) {  // grass between the road and the sidewalk
    side.verge0 = road_edge;
    side.verge1 = road_edge + verge;
    side.walk0 = side.verge1;
    side.walk1 = side.walk0 + walk;
  } else {
    side.walk0 = road_edge;
    side.walk1 = road_edge + walk;
    if (side.kind == SideProfile::kVerge) {  // front gardens between the sidewalk and the houses
      side.verge0 = side.walk1;
      side.verge1 = side.walk1 + verge;
    }
  }
  float outer = std::max(side.walk1, side.verge1);
  side.build = side.kind == SideProfile::kOpen ? outer + rng.uniform(20.0f, 55.0f) : outer + rng.uniform(0.0f, 1.2f);
}

// Side streets leave at random places; each one also gets a zebra crossing just before it now and then.
void make_junctions(Street& st, Rng& rng) {
  for (int s = 0; s < 2; ++s) {
    float z = rng.uniform(14.0f, 45.0f);
    int count = rng.chance(0.55f) ? (rng.chance(0.4f) ? 2 : 1) : 0;
    for (int i = 0; i < count; ++i) {
      float w = rng.uniform(8.0f, 14.0f);
      st.side_streets[s].push_back({z, z + w});
      if (rng.chance(0.5f)) {
        float c0 = z - rng.uniform(1.0f, 3.0f);
        st.crosswalks.push_back({c0 - rng.uniform(3.0f, 4.5f), c0});
      }
      z += w + rng.uniform(30.0f, 70.0f);
    }
  }
  if (rng.chance(0.2f)) {
    float c0 = rng.uniform(10.0f, 40.0f);
    st.crosswalks.push_back({c0, c0 + rng.uniform(3.0f, 4.5f)});
  }
  if (rng.chance(0.45f)) {
    st.end_z = rng.uniform(70.0f, 190.0f);
    st.end_width = rng.uniform(9.0f, 15.0f);
  }
}

void make_street(Street& st, Rng rng, bool objects) {
  st.two_way = rng.chance(0.7f);
  st.lanes = st.two_way ? (rng.chance(0.65f) ? 2 : 4) : rng.range(1, 3);
  st.lane_width = rng.uniform(3.0f, 3.7f);
  st.parking = rng.chance(0.45f) ? rng.uniform(2.0f, 2.4f) : 0.0f;
  st.half_width = st.lanes * st.lane_width / 2 + st.parking;
  st.curb_height = rng.uniform(0.10f, 0.18f);
  st.dash_length = rng.uniform(2.0f, 4.0f);
  st.dash_period = st.dash_length + rng.uniform(4.0f, 9.0f);
  float g = rng.uniform(0.05f, 0.13f);
  st.asphalt = jitter_color(rng, {g, g, g * 1.04f}, 0.08f);
  float p = rng.uniform(0.55f, 0.8f);
  st.paint = {p, p, p * 0.97f};
  st.terrain = rng.chance(0.7f) ? jitter_color(rng, {0.10f, 0.17f, 0.04f}, 0.25f)
                                : jitter_color(rng, {0.22f, 0.19f, 0.10f}, 0.2f);
  if (!objects) {  // the bare plane: road everywhere, one lane, so nothing but asphalt under the camera
    st.lanes = 1;
    st.parking = 0;
    st.half_width = 1e6f;
    return;
  }
  make_side(st.side[0], rng, st.half_width, false);
  make_side(st.side[1], rng, st.half_width, st.side[0].kind == SideProfile::kOpen);
  make_junctions(st, rng);
}

void set_pose(Camera& cam, const SynthCameraPose& pose, int height, int width) {
  double sy = det_sin(pose.yaw), cy = det_cos(pose.yaw);
  double sp = det_sin(pose.pitch), cp = det_cos(pose.pitch);
  double sr = det_sin(pose.roll), cr = det_cos(pose.roll);
  // yaw about y, then pitch down about the camera's right axis, then roll about its optical axis
  Vec3 fwd0{static_cast<float>(sy), 0, static_cast<float>(cy)};
  Vec3 right0{static_cast<float>(cy), 0, static_cast<float>(-sy)};
  Vec3 up0{0, 1, 0};
  Vec3 fwd = fwd0 * static_cast<float>(cp) - up0 * static_cast<float>(sp);
  Vec3 up = up0 * static_cast<float>(cp) + fwd0 * static_cast<float>(sp);
  cam.forward = fwd;
  cam.right = right0 * static_cast<float>(cr) - up * static_cast<float>(sr);
  cam.up = up * static_cast<float>(cr) + right0 * static_cast<float>(sr);
  cam.position = {pose.x, pose.height, 0};
  cam.width = width;
  cam.height = height;
  cam.fx = cam.fy = pose.focal > 0 ? pose.focal : 0.8f * static_cast<float>(width);
  cam.cx = 0.5f * static_cast<float>(width - 1);  // principal point at the image centre (pixel centres at integers)
  cam.cy = 0.5f * static_cast<float>(height - 1);
}

SynthCameraPose random_pose(Rng rng, const Street& st, int width) {
  SynthCameraPose pose;
  // a lane of our direction: right half of a two-way road, any lane of a one-way one
  float lanes_w = st.lanes * st.lane_width;
  int first = st.two_way ? st.lanes / 2 : 0;
  int lane = rng.range(first, st.lanes - 1);
  pose.x = -lanes_w / 2 + (static_cast<float>(lane) + 0.5f) * st.lane_width + rng.uniform(-0.35f, 0.35f);
  pose.height = rng.uniform(1.2f, 1.8f);
  pose.pitch = rng.uniform(-0.02f, 0.07f);
  pose.yaw = rng.uniform(-0.05f, 0.05f);
  pose.roll = rng.uniform(-0.012f, 0.012f);
  // Focal length 0.8 W +- 5 % (horizontal field of view 61..67 degrees): the spread of one camera model's
  // calibrations across a fleet. A monocular network cannot see the focal length, so metric depth is only
  // defined for a known camera (as KITTI's models are trained per camera): with 0.6..1.05 W a predictor that is
  // right about everything but the focal length reaches delta<1.25 of at most 0.84.
  pose.focal = static_cast<float>(width) * rng.uniform(0.76f, 0.84f);
  return pose;
}

void make_lighting(Lighting& light, Rng rng, const SynthOptions& options) {
  double elevation = rng.uniform(0.2f, 1.2f), azimuth = rng.uniform(0.0f, 6.2831853f);
  light.sun_dir =
      normalize(Vec3{static_cast<float>(det_cos(elevation) * det_sin(azimuth)), static_cast<float>(det_sin(elevation)),
                     static_cast<float>(det_cos(elevation) * det_cos(azimuth))});
  bool overcast = rng.chance(0.25f);
  light.cloud_cover = overcast ? rng.uniform(0.75f, 1.0f) : rng.uniform(0.0f, 0.55f);
  float low = 1.0f - clamp01((light.sun_dir.y - 0.2f) / 0.5f);  // warmer light near the horizon
  Vec3 sun = mix(Vec3{1.0f, 0.95f, 0.88f}, Vec3{1.0f, 0.72f, 0.48f}, low * 0.8f);
  float sun_power = overcast ? rng.uniform(0.4f, 0.9f) : rng.uniform(2.6f, 3.4f);
  light.sun_color = sun * sun_power;
  if (overcast) {
    float g = rng.uniform(0.45f, 0.7f);
    light.sky_zenith = jitter_color(rng, {g * 0.95f, g, g * 1.05f}, 0.05f);
    light.sky_horizon = light.sky_zenith * 1.15f;
  } else {
    light.sky_zenith = jitter_color(rng, {0.10f, 0.24f, 0.62f}, 0.15f);
    light.sky_horizon = jitter_color(rng, {0.55f, 0.66f, 0.82f}, 0.06f);
  }
  light.ground_bounce = Vec3{0.16f, 0.15f, 0.13f} * (sun_power * 0.25f + 0.3f);
  light.fog_density = options.fog && rng.chance(0.55f) ? rng.uniform(0.002f, overcast ? 0.02f : 0.009f) : 0.0f;
  light.fog_color = mix(light.sky_horizon, Vec3{0.7f, 0.72f, 0.75f}, 0.3f);
  // expose for a mid-grey surface half in sun, half in shade
  float ambient = (light.sky_zenith.y + light.sky_horizon.y) * 0.5f;
  light.exposure = rng.uniform(0.85f, 1.15f) * 0.55f / (0.45f * sun_power * 0.7f + ambient);
  light.white_balance = jitter_color(rng, {1, 1, 1}, 0.04f);
  light.shadows = options.shadows;
}

}  // namespace

Scene build_scene(uint64_t seed, int height, int width, const SynthOptions& options) {
  Rng root(seed);
  Scene scene;
  scene.texture_seed = static_cast<uint32_t>(root.fork(1).next_u64());
  scene.max_depth = options.max_depth;
  make_street(scene.street, root.fork(2), options.objects);
  SynthCameraPose pose = options.camera ? *options.camera : random_pose(root.fork(3), scene.street, width);
  set_pose(scene.camera, pose, height, width);
  make_lighting(scene.light, root.fork(4), options);
  if (options.objects) {
    SceneContext ctx{scene};
    if (scene.street.end_z > 0) ctx.z_end = scene.street.end_z + 40.0f;
    build_roadside(ctx, root.fork(10));
    build_furniture(ctx, root.fork(11));
    build_vehicles(ctx, root.fork(12));
    build_people(ctx, root.fork(13));
  }
  return scene;
}

Primitive make_primitive(Shape shape, Vec3 lo, Vec3 hi, uint8_t label, Material material, Vec3 color) {
  Primitive p;
  p.lo = vmin(lo, hi);
  p.hi = vmax(lo, hi);
  p.shape = shape;
  p.label = label;
  p.material = material;
  p.color = color;
  p.color2 = color;
  return p;
}

void add_object(Scene& scene, const std::vector<Primitive>& parts) {
  if (parts.empty()) return;
  Object obj;
  obj.first = static_cast<uint32_t>(scene.prims.size());
  obj.count = static_cast<uint32_t>(parts.size());
  obj.lo = parts[0].lo;
  obj.hi = parts[0].hi;
  for (const Primitive& p : parts) {
    obj.lo = vmin(obj.lo, p.lo);
    obj.hi = vmax(obj.hi, p.hi);
    scene.prims.push_back(p);
  }
  scene.objects.push_back(obj);
}

bool ground_is_road(const Street& street, float x, float z) {
  float ax = x < 0 ? -x : x;
  if (ax <= street.half_width) return true;
  if (street.end_z > 0 && z >= street.end_z - street.end_width && z <= street.end_z) return true;
  for (const ZRange& r : street.side_streets[x < 0 ? 0 : 1])
    if (z >= r.z0 && z <= r.z1) return true;
  return false;
}

}  // namespace tandem::synth
