// Tensors inside Tandem are the public tandem::Tensor (tandem/tensor.h).
#pragma once

#include "core/dtype.h"
#include "core/status.h"
#include "tandem/tensor.h"
