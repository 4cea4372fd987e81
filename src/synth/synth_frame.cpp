// The per-pixel loop: one primary ray per pixel (tile by tile, so each tile walks one short object list), label and
// depth from the hit, colour from the shading, then exposure, gamma 2 and a little deterministic sensor noise.
#include "synth/synth_frame.h"

#include "synth/culling.h"
#include "synth/noise.h"
#include "synth/raycast.h"
#include "synth/shading.h"

namespace tandem {
namespace {

using synth::Vec3;

uint8_t encode_channel(float linear, float noise) {
  float v = std::sqrt(synth::clamp01(linear)) * 255.0f + noise + 0.5f;
  return static_cast<uint8_t>(v < 0 ? 0.0f : (v > 255.0f ? 255.0f : v));
}

uint8_t hit_label(const synth::Scene& scene, const synth::Ray& ray, const synth::Hit& hit) {
  if (hit.prim == synth::kHitGround) {
    Vec3 p = ray.o + ray.d * hit.t;
    return synth::ground_is_road(scene.street, p.x, p.z) ? synth::kRoad : synth::kTerrain;
  }
  return scene.prims[hit.prim].label;
}

}  // namespace

SynthFrame render_scene(const synth::Scene& scene) {
  const synth::Camera& cam = scene.camera;
  const synth::Lighting& light = scene.light;
  SynthFrame f;
  if (cam.width <= 0 || cam.height <= 0) return f;
  f.width = cam.width;
  f.height = cam.height;
  f.fx = cam.fx, f.fy = cam.fy, f.cx = cam.cx, f.cy = cam.cy;
  size_t pixels = static_cast<size_t>(f.width) * f.height;
  f.rgb.resize(pixels * 3);
  f.label.resize(pixels);
  f.depth.resize(pixels);
  synth::ScreenBins bins = synth::bin_for_camera(scene, 8);
  synth::SunGrid sun_grid = light.shadows ? synth::bin_for_sun(scene) : synth::SunGrid{};
  if (sun_grid.start.empty()) sun_grid.start.assign(1, 0);
  Vec3 gain = light.white_balance * light.exposure;
  for (int ty = 0; ty < bins.tiles_y; ++ty) {
    for (int tx = 0; tx < bins.tiles_x; ++tx) {
      size_t tile = static_cast<size_t>(ty) * bins.tiles_x + tx;
      const uint32_t* ids = bins.ids.data() + bins.start[tile];
      int count = static_cast<int>(bins.start[tile + 1] - bins.start[tile]);
      int v_end = std::min(f.height, (ty + 1) * bins.tile), u_end = std::min(f.width, (tx + 1) * bins.tile);
      for (int v = ty * bins.tile; v < v_end; ++v) {
        float b = (cam.cy - static_cast<float>(v)) / cam.fy;
        for (int u = tx * bins.tile; u < u_end; ++u) {
          float a = (static_cast<float>(u) - cam.cx) / cam.fx;
          synth::Ray ray = synth::make_ray(cam.position, cam.forward + cam.right * a + cam.up * b);
          synth::Hit hit = synth::trace_nearest(scene, ray, ids, count, bins.z_min.data());
          size_t i = static_cast<size_t>(v) * f.width + u;
          Vec3 c;
          if (hit.prim == synth::kHitNone) {
            f.label[i] = synth::kSky;
            f.depth[i] = 0;
            c = synth::sky_radiance(scene, synth::normalize(ray.d), true);
          } else {
            f.label[i] = hit_label(scene, ray, hit);
            f.depth[i] = hit.t <= scene.max_depth ? hit.t : 0.0f;
            c = synth::shade_hit(scene, sun_grid, ray, hit);
          }
          c = c * gain;
          uint32_t h = synth::hash2(u, v, scene.texture_seed ^ 0x5EED5EEDu);
          float noise = (synth::hash_unit(h) - 0.5f) * 3.0f;
          f.rgb[i * 3 + 0] = encode_channel(c.x, noise);
          f.rgb[i * 3 + 1] = encode_channel(c.y, noise);
          f.rgb[i * 3 + 2] = encode_channel(c.z, noise);
        }
      }
    }
  }
  return f;
}

SynthFrame synth_frame(uint64_t seed, int height, int width, const SynthOptions& options) {
  if (height <= 0 || width <= 0) return {};
  return render_scene(synth::build_scene(seed, height, width, options));
}

}  // namespace tandem
