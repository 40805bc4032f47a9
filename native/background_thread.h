// BackgroundThread: one long-lived helper thread that runs one job at a time beside the calling thread
// (the training loop prepares its next batch there while the current one trains). start() hands over a
// job; wait() blocks until it is done and rethrows what it threw. The destructor waits and joins, so a
// job never outlives the buffers it writes.
#pragma once

#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

namespace torchnode {

class BackgroundThread {
 public:
  BackgroundThread() : thread_([this] { loop(); }) {}
  BackgroundThread(const BackgroundThread&) = delete;
  BackgroundThread& operator=(const BackgroundThread&) = delete;

  ~BackgroundThread() {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      done_.wait(lock, [this] { return !job_; });
      quit_ = true;
    }
    ready_.notify_one();
    thread_.join();
  }

  // Runs `job` on the helper thread; a job still running is waited for first (its error is dropped: the
  // caller that wanted it would have called wait()).
  void start(std::function<void()> job) {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return !job_; });
    error_ = nullptr;
    job_ = std::move(job);
    lock.unlock();
    ready_.notify_one();
  }

  // Blocks until the last job has finished; rethrows its exception.
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return !job_; });
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      ready_.wait(lock, [this] { return quit_ || job_; });
      if (!job_) return;  // quit_ with nothing left to do
      lock.unlock();
      std::exception_ptr error;
      try {
        job_();
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      error_ = error;
      job_ = nullptr;
      done_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_, done_;
  std::function<void()> job_;
  std::exception_ptr error_;
  bool quit_ = false;
  std::thread thread_;  // last: started once the members above exist
};

}  // namespace torchnode
