// A failed system or libndctl call, captured in a worker thread and turned into a JS Error in the
// main thread. The JS shape follows Node's own fs errors: code ('ENOENT'), errno (negative, as Node
// gives it), syscall, path, and message "CODE: description, syscall 'path'".
#pragma once

#include <napi.h>

#include <string>

namespace dax_native {

struct SystemError {
  int errnum = 0;        // positive errno value
  std::string syscall;   // system call or libndctl function that failed
  std::string path;      // file or device it was called on; empty when none
  std::string detail;    // libndctl's last log line, when it logged one

  Napi::Error ToJs(Napi::Env env) const;
};

// strerror() text, safe to call from worker threads.
std::string ErrnoText(int errnum);

}  // namespace dax_native
