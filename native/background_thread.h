// BackgroundThread: one long-lived helper thread that runs queued jobs, in order, beside the calling thread
// (the training loop cuts its next batch and updates parameters there while the current step's backward
// goes on). post() queues a job; wait() blocks until every queued job is done and rethrows the first error.
// The destructor waits and joins, so a job never outlives the buffers it writes. `flushDenormals`: the
// thread runs its jobs under FlushDenormals, like the thread that posts them.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

#include "denormals.h"

namespace torchnode {

class BackgroundThread {
 public:
  explicit BackgroundThread(bool flushDenormals = false)
      : flushDenormals_(flushDenormals), thread_([this] { loop(); }) {}
  BackgroundThread(const BackgroundThread&) = delete;
  BackgroundThread& operator=(const BackgroundThread&) = delete;

  ~BackgroundThread() {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      idle_.wait(lock, [this] { return jobs_.empty() && !running_; });
      quit_ = true;
    }
    ready_.notify_one();
    thread_.join();
  }

  void post(std::function<void()> job) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      jobs_.push_back(std::move(job));
    }
    ready_.notify_one();
  }

  // Blocks until the queue is empty and the last job has finished; rethrows the first error since the
  // last wait() (the jobs after a failed one still ran).
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    idle_.wait(lock, [this] { return jobs_.empty() && !running_; });
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

 private:
  void loop() {
    const FlushDenormals flush(flushDenormals_);
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      ready_.wait(lock, [this] { return quit_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // quit_ with nothing left to do
      std::function<void()> job = std::move(jobs_.front());
      jobs_.pop_front();
      running_ = true;
      lock.unlock();
      std::exception_ptr error;
      try {
        job();
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      running_ = false;
      if (error && !error_) error_ = error;
      if (jobs_.empty()) idle_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_, idle_;
  std::deque<std::function<void()>> jobs_;
  bool running_ = false;
  std::exception_ptr error_;
  bool quit_ = false;
  const bool flushDenormals_;
  std::thread thread_;  // last: started once the members above exist
};

}  // namespace torchnode
