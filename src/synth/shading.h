// Lighting: sky, sun (Lambert, with a shadow ray), hemispherical ambient, sky reflections, distance fog.
#pragma once

#include <cstdint>

#include "synth/culling.h"
#include "synth/raycast.h"
#include "synth/scene.h"

namespace tandem::synth {

// Radiance of the sky in unit direction `dir` (gradient, sun glow and, with clouds, a cloud layer).
Vec3 sky_radiance(const Scene& scene, Vec3 dir, bool clouds);

// Linear radiance reaching the camera from the hit of `ray` (fog included).
Vec3 shade_hit(const Scene& scene, const SunGrid& sun_grid, const Ray& ray, const Hit& hit);

}  // namespace tandem::synth
