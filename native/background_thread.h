// BackgroundThread: one long-lived helper thread that runs queued jobs, in order, beside the calling thread
// (the training loop runs half of the batch, the small layers' weight gradients and parameter updates,
// and the next batch's cut there while the current step goes on). post() queues a job; wait() returns when
// every posted job is done and rethrows the first error; it runs the jobs the helper has not started yet
// itself, so that a helper that lost its core to another process does not hold the caller up: a job may
// rely on what its poster did before posting it, never on another queued job. The destructor waits and
// joins, so a job never outlives the buffers it writes. `flushDenormals`: the thread runs its jobs under
// FlushDenormals, like the thread that posts them.
//
// Jobs are tens of microseconds long and come in bursts (every layer of every step), so both sides spin
// for a short while before they sleep: a futex wake-up costs about as much as such a job. The spin is
// bounded (kSpin), so an idle helper sleeps, and is off on a machine with a single core.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

#include "denormals.h"

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>
#define TORCHNODE_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define TORCHNODE_CPU_RELAX() asm volatile("yield")
#else
#define TORCHNODE_CPU_RELAX() std::this_thread::yield()
#endif

namespace torchnode {

// Waits until done() holds, done() being set by another thread about to finish its part: spins for `spin`
// at most (a sleep would cost more than such a wait), then yields the core in turn, so that the thread it
// waits for runs even when it shares this thread's core or lost its own for a while.
template <typename Done>
void spinUntil(const Done& done, std::chrono::microseconds spin) {
  const auto until = std::chrono::steady_clock::now() + spin;
  while (!done()) {
    if (std::chrono::steady_clock::now() < until) {
      for (int i = 0; i < 64; i++) TORCHNODE_CPU_RELAX();
    } else {
      std::this_thread::yield();
    }
  }
}

class BackgroundThread {
 public:
  explicit BackgroundThread(bool flushDenormals = false)
      : flushDenormals_(flushDenormals), spin_(std::thread::hardware_concurrency() > 1), thread_([this] { loop(); }) {}
  BackgroundThread(const BackgroundThread&) = delete;
  BackgroundThread& operator=(const BackgroundThread&) = delete;

  ~BackgroundThread() {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      waiting_ = true;
      idle_.wait(lock, [this] { return pending_.load() == 0; });
      quit_ = true;
    }
    ready_.notify_one();
    thread_.join();
  }

  void post(std::function<void()> job) {
    bool sleeping;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      jobs_.push_back(std::move(job));
      pending_.fetch_add(1, std::memory_order_release);
      queued_.fetch_add(1, std::memory_order_release);
      sleeping = sleeping_;
    }
    if (sleeping) ready_.notify_one();
  }

  // Runs the jobs still queued here, then blocks until the helper's job has finished; rethrows the first
  // error since the last wait() (the jobs after a failed one still ran).
  void wait() {
    while (std::function<void()> job = take()) run(job);
    spinWhile([this] { return pending_.load(std::memory_order_acquire) != 0; });
    std::unique_lock<std::mutex> lock(mutex_);
    waiting_ = true;
    idle_.wait(lock, [this] { return pending_.load() == 0; });
    waiting_ = false;
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

 private:
  static constexpr std::chrono::microseconds kSpin{200};

  // Spins while `condition` holds, for kSpin at most; returns whether it still holds.
  template <typename Condition>
  bool spinWhile(const Condition& condition) const {
    if (!spin_ || !condition()) return condition();
    const auto until = std::chrono::steady_clock::now() + kSpin;
    do {
      for (int i = 0; i < 64; i++) TORCHNODE_CPU_RELAX();
    } while (condition() && std::chrono::steady_clock::now() < until);
    return condition();
  }

  // The first queued job, taken off the queue (empty when there is none).
  std::function<void()> take() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (jobs_.empty()) return nullptr;
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    queued_.fetch_sub(1, std::memory_order_relaxed);
    return job;
  }

  void run(std::function<void()>& job) {
    std::exception_ptr error;
    try {
      job();
    } catch (...) {
      error = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (error && !error_) error_ = error;
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1 && waiting_) idle_.notify_all();
  }

  void loop() {
    const FlushDenormals flush(flushDenormals_);
    for (;;) {
      const bool timedOut = spinWhile([this] { return queued_.load(std::memory_order_acquire) == 0; });
      std::unique_lock<std::mutex> lock(mutex_);
      // (a job that the caller's wait() took between the spin and the lock: spin again, for the next)
      if (!timedOut && jobs_.empty() && !quit_) continue;
      sleeping_ = true;
      ready_.wait(lock, [this] { return quit_ || !jobs_.empty(); });
      sleeping_ = false;
      if (jobs_.empty()) return;  // quit_ with nothing left to do
      std::function<void()> job = std::move(jobs_.front());
      jobs_.pop_front();
      queued_.fetch_sub(1, std::memory_order_relaxed);
      lock.unlock();
      run(job);
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_, idle_;
  std::deque<std::function<void()>> jobs_;
  std::atomic<int> pending_{0};  // jobs queued or running
  std::atomic<int> queued_{0};   // jobs queued, not started
  bool sleeping_ = false;        // the helper waits on ready_
  bool waiting_ = false;         // a caller waits on idle_
  std::exception_ptr error_;
  bool quit_ = false;
  const bool flushDenormals_;
  const bool spin_;
  std::thread thread_;  // last: started once the members above exist
};

}  // namespace torchnode
