// The training engine: whole epochs in C++ on a worker thread (fit), with early stopping, learning-rate
// schedules, abort, NaN detection, and one message to JS per epoch.
#pragma once

#include <torch/types.h>

#include <cmath>
#include <string>

namespace torchnode {

// Learning rate as a function of the global batch index (0-based), for schedules that change per batch.
struct LrSchedule {
  std::string type = "constant";  // constant | exponential | onecycle
  double start = 0, end = 0;      // exponential: from start to end over `steps` batches
  double maxLr = 0, pctStart = 0.3, divFactor = 25, finalDivFactor = 1e4;  // onecycle (PyTorch's cos annealing)
  int64_t steps = 0;

  // NaN: leave the optimizer's rate alone.
  double at(int64_t step) const;
};

}  // namespace torchnode
