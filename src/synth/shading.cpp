// Lighting in linear RGB: sun_color * max(0, n.l) * visibility + hemispherical sky/ground ambient, plus emission,
// a mirrored sky for glass and paint, and exponential fog towards the horizon colour.
#include "synth/shading.h"

#include "synth/noise.h"
#include "synth/textures.h"

namespace tandem::synth {

Vec3 sky_radiance(const Scene& scene, Vec3 dir, bool clouds) {
  const Lighting& l = scene.light;
  if (dir.y < 0) return mix(l.sky_horizon, l.ground_bounce, clamp01(-dir.y * 4.0f));  // below the horizon
  Vec3 c = mix(l.sky_horizon, l.sky_zenith, std::sqrt(dir.y));
  if (clouds && l.cloud_cover > 0 && dir.y > 0.005f) {
    float k = 1.0f / (dir.y + 0.06f);
    float f = fbm(dir.x * k * 1.5f, dir.z * k * 1.5f, scene.texture_seed + 101, 3);
    float cover = smoothstep(0.95f - l.cloud_cover * 0.6f, 1.15f - l.cloud_cover * 0.6f, f);
    Vec3 cloud = mix(Vec3{0.75f, 0.76f, 0.78f}, Vec3{0.42f, 0.43f, 0.46f}, clamp01((f - 0.5f) * 2.0f));
    c = mix(c, cloud * (0.6f + 0.4f * l.sun_color.y / 3.0f), cover * smoothstep(0.0f, 0.15f, dir.y));
  }
  float cs = dot(dir, l.sun_dir);
  if (cs > 0) {
    float glow = pow2k(cs, 4) * 0.12f + pow2k(cs, 11) * 6.0f;  // cos^16 halo and cos^2048 disc
    c = c + l.sun_color * glow * (1.0f - 0.8f * l.cloud_cover);
  }
  return c;
}

Vec3 shade_hit(const Scene& scene, const SunGrid& sun_grid, const Ray& ray, const Hit& hit) {
  const Lighting& l = scene.light;
  Vec3 p = ray.o + ray.d * hit.t;
  Vec3 n = hit.n;
  Surface s;
  bool ambient_occluded = false;
  if (hit.prim == kHitGround) {
    s = ground_surface(scene, p);
  } else {
    const Primitive& pr = scene.prims[hit.prim];
    s = primitive_surface(scene, static_cast<uint32_t>(hit.prim), p, n);
    ambient_occluded = pr.label != kSidewalk && pr.label != kTerrain;
  }
  float ndl = dot(n, l.sun_dir);
  float sun = 0;
  if (ndl > 0) {
    sun = ndl;
    if (l.shadows) {
      Vec3 o = p + n * (2e-3f + 2e-5f * hit.t);  // off the surface, so the ray does not hit where it starts
      int count = 0;
      const uint32_t* ids = sun_grid.cell(o, count);
      if (count > 0 && trace_any(scene, make_ray(o, l.sun_dir), ids, count)) sun = 0;
    }
  }
  // sky light from above, light bounced off the street from below
  Vec3 sky = mix(l.sky_horizon, l.sky_zenith, 0.4f) * (1.2f + 0.6f * l.cloud_cover);
  Vec3 ambient = mix(l.ground_bounce, sky, 0.5f + 0.5f * n.y);
  if (ambient_occluded && n.y < 0.5f) ambient = ambient * (0.55f + 0.45f * smoothstep(0.0f, 0.7f, p.y));
  Vec3 c = s.albedo * (l.sun_color * sun + ambient) + s.emission;
  if (s.reflect > 0) {
    Vec3 d = normalize(ray.d);
    float cos_i = -dot(d, n);
    Vec3 r = d + n * (2.0f * cos_i);
    float fresnel = s.reflect * (0.35f + 0.65f * pow2k(1.0f - clamp01(cos_i), 2));
    c = mix(c, sky_radiance(scene, r, false) + s.emission, fresnel);
  }
  if (l.fog_density > 0) {
    float dist = hit.t * length(ray.d);
    c = mix(l.fog_color, c, exp_neg(dist * l.fog_density));
  }
  return c;
}

}  // namespace tandem::synth
