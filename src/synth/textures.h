// Procedural appearance of the surface a ray hit: albedo, emission, and how much it mirrors the sky.
#pragma once

#include <cstdint>

#include "synth/scene.h"

namespace tandem::synth {

struct Surface {
  Vec3 albedo;
  Vec3 emission;      // added after lighting (lit windows, lamps, car lights)
  float reflect = 0;  // weight of the mirrored sky (glass, paint)
};

// The ground plane at p (y = 0): asphalt with lane markings and zebra crossings, or terrain.
Surface ground_surface(const Scene& scene, Vec3 p);
// Primitive `index` of the scene at point p with outward normal n.
Surface primitive_surface(const Scene& scene, uint32_t index, Vec3 p, Vec3 n);

}  // namespace tandem::synth
